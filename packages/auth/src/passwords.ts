import { type Algorithm, hash, verify } from '@node-rs/argon2';

/** Password length bounds from the API contract; nothing longer is ever truncated. */
export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 256;

// OWASP's argon2id minimum: 19 MiB, 2 passes, 1 lane. `Algorithm` is a const enum that
// isolated modules cannot read, so its value (Argon2id = 2) is written out.
const ARGON2ID = 2 as Algorithm;
const ARGON2_OPTIONS = { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 };

/** Hashes a password with argon2id; returns the PHC string to store. */
export function hashPassword(password: string): Promise<string> {
  return hash(password.normalize('NFC'), ARGON2_OPTIONS);
}

/** Checks a password against a stored PHC string. False for a malformed hash. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password.normalize('NFC'));
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the same time as a real verification, for sign-ins to unknown accounts, so that
 * response time does not reveal which emails are registered.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= hashPassword('trellis-dummy-password-never-matches');
  await verifyPassword(await dummyHash, password);
  return false;
}
