import type { Database, Kysely } from '@trellis/db';
import { isoNow } from '@trellis/db';
import { issueToken, parseToken, secretMatches } from './tokens.js';
import { withUserLock } from './user-lock.js';
import { normalizeEmail } from './users.js';

// Devices that signed in successfully before (OWASP "Slow Down Online Guessing Attacks
// with Device Cookies"): a sign-in that presents such a device's token is limited per
// device only, so failures from elsewhere (someone guessing the password) do not lock
// the owner out. The sign-in throttling that uses them lives in the auth router; this
// file owns the table. Only a SHA-256 of each token's secret is stored.

/** The prefix of device tokens: `trd_<id><secret>`. */
export const DEVICE_TOKEN_PREFIX = 'trd_';

/** What a device token looks like (`issueToken`'s alphabet and length), for input checks. */
export const DEVICE_TOKEN_PATTERN = /^trd_[a-km-np-z2-9]{56}$/;

const DAY_MS = 24 * 60 * 60 * 1000;

/** A device unused this long is no longer trusted (the cookie lives as long). */
export const TRUSTED_DEVICE_LIFETIME_MS = 365 * DAY_MS;

/** The devices one user may have trusted at once; trusting one more forgets the least recently used. */
export const MAX_TRUSTED_DEVICES_PER_USER = 20;

/** A trusted device a sign-in presented. */
export interface TrustedDevice {
  id: string;
  userId: string;
}

/**
 * The trusted device `token` names, if it is one of the account with this `email` and has
 * been used within its lifetime; null otherwise (wrong shape, unknown, another account's,
 * forgotten or expired), which the caller treats as an untrusted device.
 */
export async function findTrustedDevice(
  db: Kysely<Database>,
  token: string,
  email: string,
  now: Date = new Date(),
): Promise<TrustedDevice | null> {
  const parsed = parseToken(DEVICE_TOKEN_PREFIX, token);
  if (!parsed) return null;
  const row = await db
    .selectFrom('trusted_devices')
    .innerJoin('users', 'users.id', 'trusted_devices.user_id')
    .select([
      'trusted_devices.id',
      'trusted_devices.user_id',
      'trusted_devices.secret_hash',
      'trusted_devices.last_used_at',
    ])
    .where('trusted_devices.id', '=', parsed.id)
    .where('users.email', '=', normalizeEmail(email))
    .executeTakeFirst();
  if (!row || !secretMatches(parsed.secret, row.secret_hash)) return null;
  if (Date.parse(row.last_used_at) + TRUSTED_DEVICE_LIFETIME_MS <= now.getTime()) return null;
  return { id: row.id, userId: row.user_id };
}

/**
 * Trusts the device a user just signed in from, and returns its new token (the only copy
 * of its secret). A device that presented a token gets a fresh one (`replaces`), so a
 * copied old token stops working once the owner signs in again. Past
 * `MAX_TRUSTED_DEVICES_PER_USER`, the least recently used devices are forgotten.
 */
export async function trustDevice(
  db: Kysely<Database>,
  userId: string,
  { now = new Date(), replaces }: { now?: Date; replaces?: string } = {},
): Promise<string> {
  const { id, token, secretHash } = issueToken(DEVICE_TOKEN_PREFIX);
  await withUserLock(db, userId, async (trx) => {
    if (replaces) {
      await trx
        .deleteFrom('trusted_devices')
        .where('id', '=', replaces)
        .where('user_id', '=', userId)
        .execute();
    }
    await trx
      .insertInto('trusted_devices')
      .values({
        id,
        user_id: userId,
        secret_hash: secretHash,
        created_at: isoNow(now),
        last_used_at: isoNow(now),
      })
      .execute();
    const expiredBefore = isoNow(new Date(now.getTime() - TRUSTED_DEVICE_LIFETIME_MS));
    await trx
      .deleteFrom('trusted_devices')
      .where('user_id', '=', userId)
      .where('id', '!=', id)
      .where((eb) =>
        eb.or([
          eb('last_used_at', '<=', expiredBefore),
          // Beyond the most recently used others, with room for this one.
          eb(
            'id',
            'not in',
            trx
              .selectFrom('trusted_devices')
              .select('id')
              .where('user_id', '=', userId)
              .where('id', '!=', id)
              .where('last_used_at', '>', expiredBefore)
              .orderBy('last_used_at', 'desc')
              .orderBy('id', 'desc')
              .limit(MAX_TRUSTED_DEVICES_PER_USER - 1),
          ),
        ]),
      )
      .execute();
  });
  return token;
}

/** Forgets every trusted device of a user (after a password reset or an account takeover). */
export async function forgetTrustedDevices(db: Kysely<Database>, userId: string): Promise<void> {
  await db.deleteFrom('trusted_devices').where('user_id', '=', userId).execute();
}

/** Deletes devices unused for longer than their lifetime; returns how many. */
export async function deleteExpiredTrustedDevices(
  db: Kysely<Database>,
  now: Date = new Date(),
): Promise<number> {
  const result = await db
    .deleteFrom('trusted_devices')
    .where('last_used_at', '<=', isoNow(new Date(now.getTime() - TRUSTED_DEVICE_LIFETIME_MS)))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
