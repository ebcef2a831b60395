import { constantTimeEqual, secureRandomString, sha256Hex } from './random.js';

// Prefixed credentials (`trl_…` API tokens, `tri_…` invites) follow the session design:
// the token carries a lookup id and a secret; the id finds the row, only a SHA-256 of the
// secret is stored, and the secret is compared in constant time. The prefix makes a
// leaked token recognisable to people and to secret scanners.

const ID_LENGTH = 24; // 120 bits: unguessable, but only a lookup key
const SECRET_LENGTH = 32; // 160 bits of CSPRNG entropy
const BODY_PATTERN = new RegExp(`^[a-km-np-z2-9]{${ID_LENGTH + SECRET_LENGTH}}$`);

/** A freshly issued token: `token` goes to the caller once, the rest to the database. */
export interface IssuedToken {
  id: string;
  token: string;
  secretHash: string;
}

/** Issues `<prefix><id><secret>`. */
export function issueToken(prefix: string): IssuedToken {
  const id = secureRandomString(ID_LENGTH);
  const secret = secureRandomString(SECRET_LENGTH);
  return { id, token: `${prefix}${id}${secret}`, secretHash: sha256Hex(secret) };
}

/** Splits a token issued with `prefix` into id and secret; null if it is not one. */
export function parseToken(prefix: string, token: string): { id: string; secret: string } | null {
  if (!token.startsWith(prefix)) return null;
  const body = token.slice(prefix.length);
  if (!BODY_PATTERN.test(body)) return null;
  return { id: body.slice(0, ID_LENGTH), secret: body.slice(ID_LENGTH) };
}

/** True when `secret` hashes to the stored `secretHash`, compared in constant time. */
export function secretMatches(secret: string, secretHash: string): boolean {
  return constantTimeEqual(sha256Hex(secret), secretHash);
}
