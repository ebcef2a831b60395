import { describe, expect, it } from 'vitest';
import { constantTimeEqual, secureRandomString, sha256Hex } from './random.js';

const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';
const ONLY_ALPHABET = /^[abcdefghijkmnpqrstuvwxyz23456789]*$/;

/** Every character produced by `calls` strings of `length`, concatenated. */
function manyRandomCharacters(calls: number, length: number): string {
  return Array.from({ length: calls }, () => secureRandomString(length)).join('');
}

describe('secureRandomString', () => {
  it.each([0, 1, 24, 32, 100])('returns exactly %i characters', (length) => {
    expect(secureRandomString(length)).toHaveLength(length);
  });

  it('uses only the lowercase look-alike-free alphabet', () => {
    const chars = manyRandomCharacters(1000, 32);

    expect(chars).toMatch(ONLY_ALPHABET);
    for (const lookAlike of ['l', 'o', '0', '1']) expect(chars).not.toContain(lookAlike);
  });

  it('reaches every one of the 32 symbols (no symbol is unreachable)', () => {
    const seen = new Set(manyRandomCharacters(1000, 32));

    expect([...seen].sort().join('')).toBe([...ALPHABET].sort().join(''));
  });

  it('never repeats across many calls', () => {
    const calls = 10_000;
    const values = Array.from({ length: calls }, () => secureRandomString(24));

    expect(new Set(values).size).toBe(calls);
  });

  it('spreads symbols evenly (no symbol more than twice as common as another)', () => {
    const counts = new Map<string, number>();
    for (const char of manyRandomCharacters(2000, 32))
      counts.set(char, (counts.get(char) ?? 0) + 1);
    const values = [...counts.values()];

    // 64,000 draws over 32 symbols: 2,000 expected each; a 2x skew is far outside chance.
    expect(values).toHaveLength(32);
    expect(Math.max(...values) / Math.min(...values)).toBeLessThan(2);
  });
});

describe('sha256Hex', () => {
  it.each([
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['trellis', '3a4ad37e305ff3bb775fb38a93345aa1f29961fcf88e9415a093d9e6eec8c65a'],
  ])('hashes %j to its known digest', (input, digest) => {
    expect(sha256Hex(input)).toBe(digest);
  });

  it('hashes the UTF-8 bytes of non-ASCII text', () => {
    expect(sha256Hex('\u00e9')).toBe(
      '4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c',
    );
  });

  it('returns 64 lowercase hex characters', () => {
    expect(sha256Hex('anything at all')).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('constantTimeEqual', () => {
  const digest = sha256Hex('abc');
  const other = sha256Hex('abd');

  it('is true for the same digest', () => {
    expect(constantTimeEqual(digest, sha256Hex('abc'))).toBe(true);
  });

  it('is false for different digests of the same length', () => {
    expect(constantTimeEqual(digest, other)).toBe(false);
  });

  it('is false when only the last byte differs', () => {
    const lastByteFlipped = `${digest.slice(0, -2)}${digest.endsWith('00') ? '01' : '00'}`;

    expect(constantTimeEqual(digest, lastByteFlipped)).toBe(false);
  });

  it('is false for digests of different lengths', () => {
    expect(constantTimeEqual(digest, digest.slice(0, 62))).toBe(false);
    expect(constantTimeEqual(digest.slice(0, 62), digest)).toBe(false);
    expect(constantTimeEqual(digest, `${digest}00`)).toBe(false);
  });

  it('is false when either side is empty, including both', () => {
    expect(constantTimeEqual('', digest)).toBe(false);
    expect(constantTimeEqual(digest, '')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(false);
  });

  // Strings that differ must never compare equal, even when they are not valid hex.
  // (Decoding with Buffer.from(s, 'hex') drops a trailing odd nibble and stops at the
  // first non-hex character, which made both of these true.)
  it('is false for strings that differ only by a trailing odd hex digit', () => {
    expect(constantTimeEqual(digest, `${digest}0`)).toBe(false);
  });

  it('is false for strings that differ only after a non-hex character', () => {
    expect(constantTimeEqual(`${digest}zz`, `${digest}yy`)).toBe(false);
  });
});
