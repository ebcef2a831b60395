import { describe, expect, it } from 'vitest';
import {
  hashPassword,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  verifyAgainstDummy,
  verifyPassword,
} from './passwords.js';

const PASSWORD = 'correct horse battery staple';

/** A PHC string: `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`. */
const ARGON2ID_PHC = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

describe('password length bounds', () => {
  it('are 10 to 256 characters', () => {
    expect(PASSWORD_MIN_LENGTH).toBe(10);
    expect(PASSWORD_MAX_LENGTH).toBe(256);
  });
});

describe('hashPassword', () => {
  it('produces an argon2id PHC string with m=19456, t=2, p=1', async () => {
    const hash = await hashPassword(PASSWORD);

    expect(hash).toMatch(ARGON2ID_PHC);
  });

  it('never contains the password', async () => {
    const hash = await hashPassword(PASSWORD);

    expect(hash).not.toContain(PASSWORD);
  });

  it('salts every hash, so the same password hashes differently each time', async () => {
    const [first, second] = await Promise.all([hashPassword(PASSWORD), hashPassword(PASSWORD)]);

    expect(first).not.toBe(second);
    expect(await verifyPassword(first, PASSWORD)).toBe(true);
    expect(await verifyPassword(second, PASSWORD)).toBe(true);
  });
});

describe('verifyPassword', () => {
  it('accepts the right password', async () => {
    const hash = await hashPassword(PASSWORD);

    expect(await verifyPassword(hash, PASSWORD)).toBe(true);
  });

  it('rejects a wrong password', async () => {
    const hash = await hashPassword(PASSWORD);

    expect(await verifyPassword(hash, 'correct horse battery stapler')).toBe(false);
  });

  it('is case-sensitive', async () => {
    const hash = await hashPassword(PASSWORD);

    expect(await verifyPassword(hash, PASSWORD.toUpperCase())).toBe(false);
  });

  it('rejects an empty password', async () => {
    const hash = await hashPassword(PASSWORD);

    expect(await verifyPassword(hash, '')).toBe(false);
  });

  it('does not truncate: 256-character passwords differing only in the last one do not match', async () => {
    const longPassword = `${'x'.repeat(PASSWORD_MAX_LENGTH - 1)}a`;
    const lastCharDiffers = `${'x'.repeat(PASSWORD_MAX_LENGTH - 1)}b`;
    const hash = await hashPassword(longPassword);

    expect(longPassword).toHaveLength(256);
    expect(await verifyPassword(hash, longPassword)).toBe(true);
    expect(await verifyPassword(hash, lastCharDiffers)).toBe(false);
  });

  it('does not truncate at 72 bytes the way bcrypt does', async () => {
    const prefix = 'p'.repeat(72);
    const hash = await hashPassword(`${prefix}-one`);

    expect(await verifyPassword(hash, `${prefix}-two`)).toBe(false);
  });

  it('matches a password typed in another Unicode normalization form', async () => {
    const composed = 'caf\u00e9-pa\u00dfwort-\u00c5ngstr\u00f6m';
    const decomposed = composed.normalize('NFD');
    const hash = await hashPassword(composed);

    expect(decomposed).not.toBe(composed);
    expect(await verifyPassword(hash, decomposed)).toBe(true);
  });

  it.each([
    ['garbage', 'not-a-hash'],
    ['an empty string', ''],
    ['a truncated argon2id string', '$argon2id$v=19$m=19456,t=2,p=1$'],
    ['an argon2id string with a corrupt salt and hash', '$argon2id$v=19$m=19456,t=2,p=1$!!!$???'],
    ['a bcrypt hash', '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy'],
  ])('returns false, without throwing, for %s', async (_label, garbage) => {
    await expect(verifyPassword(garbage, PASSWORD)).resolves.toBe(false);
  });
});

describe('verifyAgainstDummy', () => {
  it('is false for any password, including the dummy one itself', async () => {
    expect(await verifyAgainstDummy(PASSWORD)).toBe(false);
    expect(await verifyAgainstDummy('trellis-dummy-password-never-matches')).toBe(false);
  });
});
