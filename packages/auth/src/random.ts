import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

// Lowercase base32 without look-alikes (no l, o, 0, 1): tokens survive being read aloud,
// retyped, or matched case-insensitively. 32 symbols = exactly 5 bits per character.
const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

/** A string of `length` characters from a CSPRNG, 5 bits of entropy per character. */
export function secureRandomString(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  // 256 is a multiple of 32, so `byte >> 3` is uniform over the alphabet.
  for (const byte of bytes) out += ALPHABET[byte >> 3];
  return out;
}

/** SHA-256 of a UTF-8 string, as lowercase hex. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/**
 * Compares two secrets or digests in time that does not depend on where they differ.
 * Compares the strings' bytes rather than decoding hex, which would silently stop at a
 * bad character. Empty strings never match.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}
