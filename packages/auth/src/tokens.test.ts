import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { issueToken, parseToken, secretMatches } from './tokens.js';

const PREFIX = 'trl_';
const BODY = /^[abcdefghijkmnpqrstuvwxyz23456789]{56}$/;

/** What the database should hold for a secret: its SHA-256, in lowercase hex. */
function sha256(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** `token` with the body character at `index` replaced by `char`. */
function withBodyChar(token: string, index: number, char: string): string {
  const at = PREFIX.length + index;
  return `${token.slice(0, at)}${char}${token.slice(at + 1)}`;
}

describe('issueToken', () => {
  it('issues the prefix followed by 56 characters of the lowercase base32 alphabet', () => {
    const { token } = issueToken(PREFIX);

    expect(token.startsWith(PREFIX)).toBe(true);
    expect(token).toHaveLength(PREFIX.length + 56);
    expect(token.slice(PREFIX.length)).toMatch(BODY);
  });

  it('puts the 24-character id right after the prefix', () => {
    const { id, token } = issueToken(PREFIX);

    expect(id).toMatch(/^[a-z2-9]{24}$/);
    expect(token.slice(PREFIX.length, PREFIX.length + 24)).toBe(id);
  });

  it('works with any prefix', () => {
    const { token } = issueToken('tri_');

    expect(token.slice(0, 4)).toBe('tri_');
    expect(parseToken('tri_', token)).not.toBeNull();
    expect(parseToken(PREFIX, token)).toBeNull();
  });

  it('stores the SHA-256 hex of the secret, never of the token or the id', () => {
    const { id, token, secretHash } = issueToken(PREFIX);
    const secret = token.slice(PREFIX.length + 24);

    expect(secretHash).toMatch(/^[0-9a-f]{64}$/);
    expect(secretHash).toBe(sha256(secret));
    expect(secretHash).not.toBe(sha256(token));
    expect(secretHash).not.toBe(sha256(id));
    expect(secretHash).not.toContain(secret);
  });

  it('never issues the same id, secret or token twice', () => {
    const issued = Array.from({ length: 50 }, () => issueToken(PREFIX));

    expect(new Set(issued.map((t) => t.token)).size).toBe(50);
    expect(new Set(issued.map((t) => t.id)).size).toBe(50);
    expect(new Set(issued.map((t) => t.secretHash)).size).toBe(50);
  });
});

describe('parseToken', () => {
  it('splits an issued token back into its id and secret', () => {
    const { id, token, secretHash } = issueToken(PREFIX);

    const parsed = parseToken(PREFIX, token);

    expect(parsed).toEqual({ id, secret: token.slice(PREFIX.length + 24) });
    expect(parsed?.secret).toHaveLength(32);
    expect(sha256(parsed?.secret ?? '')).toBe(secretHash);
  });

  const malformed: [string, (token: string) => string][] = [
    ['empty', () => ''],
    ['the prefix alone', () => PREFIX],
    ['no prefix', (token) => token.slice(PREFIX.length)],
    ['another prefix', (token) => `tri_${token.slice(PREFIX.length)}`],
    ['an uppercased prefix', (token) => `TRL_${token.slice(PREFIX.length)}`],
    ['a character short', (token) => token.slice(0, -1)],
    ['a character too many', (token) => `${token}a`],
    ['a session token shape (id.secret)', (token) => `${token.slice(0, 28)}.${token.slice(28)}`],
    ['uppercased', (token) => `${PREFIX}${token.slice(PREFIX.length).toUpperCase()}`],
    ['one uppercase letter', (token) => withBodyChar(token, 30, 'A')],
    ['the digit 0', (token) => withBodyChar(token, 40, '0')],
    ['the digit 1', (token) => withBodyChar(token, 55, '1')],
    ['the letter l, left out of the alphabet', (token) => withBodyChar(token, 10, 'l')],
    ['the letter o, left out of the alphabet', (token) => withBodyChar(token, 50, 'o')],
    ['an underscore in the body', (token) => withBodyChar(token, 20, '_')],
    ['a trailing newline', (token) => `${token.slice(0, -1)}\n`],
    ['surrounding whitespace', (token) => ` ${token} `],
  ];
  it.each(malformed)('rejects %s', (_label, mangle) => {
    const { token } = issueToken(PREFIX);
    const mangled = mangle(token);
    expect(mangled).not.toBe(token);

    expect(parseToken(PREFIX, mangled)).toBeNull();
  });

  it('accepts any 56 characters of the alphabet, not only issued tokens', () => {
    const body = 'a'.repeat(24) + '9'.repeat(32);

    expect(parseToken(PREFIX, `${PREFIX}${body}`)).toEqual({
      id: 'a'.repeat(24),
      secret: '9'.repeat(32),
    });
  });
});

describe('secretMatches', () => {
  it('is true for the secret the hash was made from', () => {
    const { token, secretHash } = issueToken(PREFIX);
    const parsed = parseToken(PREFIX, token);

    expect(secretMatches(parsed?.secret ?? '', secretHash)).toBe(true);
  });

  it("is false for another token's secret", () => {
    const mine = issueToken(PREFIX);
    const theirs = issueToken(PREFIX);

    expect(secretMatches(parseToken(PREFIX, theirs.token)?.secret ?? '', mine.secretHash)).toBe(
      false,
    );
  });

  it('is false for a secret differing in its last character', () => {
    const { token, secretHash } = issueToken(PREFIX);
    const secret = parseToken(PREFIX, token)?.secret ?? '';
    const other = `${secret.slice(0, -1)}${secret.endsWith('a') ? 'b' : 'a'}`;

    expect(secretMatches(other, secretHash)).toBe(false);
  });

  it('is false for the whole token or the id in place of the secret', () => {
    const { id, token, secretHash } = issueToken(PREFIX);

    expect(secretMatches(token, secretHash)).toBe(false);
    expect(secretMatches(id, secretHash)).toBe(false);
  });

  it('is false against an empty or malformed stored hash', () => {
    const { token, secretHash } = issueToken(PREFIX);
    const secret = parseToken(PREFIX, token)?.secret ?? '';

    expect(secretMatches(secret, '')).toBe(false);
    expect(secretMatches('', '')).toBe(false);
    expect(secretMatches(secret, secretHash.toUpperCase())).toBe(false);
    expect(secretMatches(secret, secretHash.slice(0, -1))).toBe(false);
  });

  it('is false for the empty secret against a real hash', () => {
    const { secretHash } = issueToken(PREFIX);

    expect(secretMatches('', secretHash)).toBe(false);
  });
});
