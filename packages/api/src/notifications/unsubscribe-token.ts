import { constantTimeEqual, secureRandomString, sha256Hex } from '@trellis/auth';

// The token of a digest's unsubscribe link: `tru_`, the id of the newest notification that
// digest listed, `.`, and a secret made for that digest (32 characters, 160 bits), of which
// only the SHA-256 is kept, on that notification (`digest_secret_hash`). The id finds the
// row; the secret proves the link came from the mail, like the other mailed links'
// secrets: a notification id alone (which its recipient sees in their inbox and feed)
// unsubscribes nobody. Each digest has its own secret, so every digest's link keeps
// working, until the notification is deleted or UNSUBSCRIBE_LINK_TTL_MS after it was
// mailed; using one again changes nothing.

const PREFIX = 'tru_';
const TOKEN = /^tru_([A-Za-z0-9_-]{22})\.([a-z2-9]{32})$/;
const SECRET_LENGTH = 32;

/** How long after its mail an unsubscribe link works. */
export const UNSUBSCRIBE_LINK_TTL_MS = 60 * 24 * 60 * 60 * 1000;

/** A new digest's unsubscribe token for its newest notification, and the hash to keep. */
export function issueUnsubscribeToken(notificationId: string): {
  token: string;
  secretHash: string;
} {
  const secret = secureRandomString(SECRET_LENGTH);
  return { token: `${PREFIX}${notificationId}.${secret}`, secretHash: sha256Hex(secret) };
}

/** The notification id and secret an unsubscribe token carries, or null if malformed. */
export function parseUnsubscribeToken(token: string): { id: string; secret: string } | null {
  const match = TOKEN.exec(token);
  if (!match?.[1] || !match[2]) return null;
  return { id: match[1], secret: match[2] };
}

/** Whether `secret` is the one whose hash was kept. */
export function unsubscribeSecretMatches(secret: string, secretHash: string | null): boolean {
  return secretHash !== null && constantTimeEqual(sha256Hex(secret), secretHash);
}
