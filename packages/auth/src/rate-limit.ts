import { isIPv6 } from 'node:net';
import type { Database, Kysely } from '@trellis/db';
import { isoNow } from '@trellis/db';

// Fixed-window counters kept in the database, so that every server process sharing it
// also shares the limits. One upsert per hit: race-free on SQLite and PostgreSQL alike.

/** At most `limit` hits per `windowMs`; the window starts at the first hit. */
export interface RateLimitRule {
  limit: number;
  windowMs: number;
}

/** The outcome of counting a hit. */
export interface RateLimitVerdict {
  allowed: boolean;
  /** Hits counted in this window, this one included (over the limit when refused). */
  hits: number;
  /** Seconds until the window resets (at least 1); what `Retry-After` should say. */
  retryAfterSeconds: number;
}

/** Every limit Trellis applies, by what it protects. */
export interface RateLimits {
  /**
   * Failed sign-ins for one account from one client address (devices it does not trust).
   * A successful sign-in from that address resets it.
   */
  signInPerAccountAndIp: RateLimitRule;
  /** Failed sign-ins from one client address, across accounts (devices not trusted). */
  signInPerIp: RateLimitRule;
  /**
   * Failed sign-ins for one account from every device it does not trust, wherever they
   * come from: against guessing spread over many addresses. Set high, since reaching it
   * locks out the account's owner on a new device (trusted devices stay unaffected).
   */
  signInPerAccount: RateLimitRule;
  /** Failed sign-ins presenting one trusted device's token; the only limit such a device meets. */
  signInPerDevice: RateLimitRule;
  /** Accounts created from one client address. */
  signUpPerIp: RateLimitRule;
  /** Invitations sent from one workspace. */
  invitesPerWorkspace: RateLimitRule;
  /** Verification and email-change mails one account asks for. */
  accountMailsPerUser: RateLimitRule;
  /** Password-reset mails asked for one email address (known or not). */
  passwordResetsPerEmail: RateLimitRule;
  /** Password-reset mails asked for from one client address. */
  passwordResetsPerIp: RateLimitRule;
  /** Current-password checks by a signed-in account (changing its password or email). */
  passwordChecksPerUser: RateLimitRule;
}

const MINUTE_MS = 60 * 1000;

/**
 * The defaults. Failed sign-ins per 10 minutes: 10 per account and address, 50 per address,
 * 100 per account from untrusted devices, 10 per trusted device.
 */
export const DEFAULT_RATE_LIMITS: RateLimits = {
  signInPerAccountAndIp: { limit: 10, windowMs: 10 * MINUTE_MS },
  signInPerIp: { limit: 50, windowMs: 10 * MINUTE_MS },
  signInPerAccount: { limit: 100, windowMs: 10 * MINUTE_MS },
  signInPerDevice: { limit: 10, windowMs: 10 * MINUTE_MS },
  signUpPerIp: { limit: 20, windowMs: 60 * MINUTE_MS },
  invitesPerWorkspace: { limit: 100, windowMs: 60 * MINUTE_MS },
  accountMailsPerUser: { limit: 5, windowMs: 60 * MINUTE_MS },
  passwordResetsPerEmail: { limit: 5, windowMs: 60 * MINUTE_MS },
  passwordResetsPerIp: { limit: 20, windowMs: 60 * MINUTE_MS },
  passwordChecksPerUser: { limit: 10, windowMs: 10 * MINUTE_MS },
};

/** Counts one hit against `key` and says whether it is within the rule. */
export async function hitRateLimit(
  db: Kysely<Database>,
  key: string,
  rule: RateLimitRule,
  now: Date = new Date(),
): Promise<RateLimitVerdict> {
  const nowIso = isoNow(now);
  const nextReset = isoNow(new Date(now.getTime() + rule.windowMs));
  const row = await db
    .insertInto('rate_limits')
    .values({ key, hits: 1, reset_at: nextReset })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet((eb) => {
        const windowOver = eb('rate_limits.reset_at', '<=', nowIso);
        return {
          hits: eb
            .case()
            .when(windowOver)
            .then(1)
            .else(eb('rate_limits.hits', '+', 1))
            .end(),
          reset_at: eb
            .case()
            .when(windowOver)
            .then(nextReset)
            .else(eb.ref('rate_limits.reset_at'))
            .end(),
        };
      }),
    )
    .returning(['hits', 'reset_at'])
    .executeTakeFirstOrThrow();
  return {
    allowed: row.hits <= rule.limit,
    hits: row.hits,
    retryAfterSeconds: Math.max(1, Math.ceil((Date.parse(row.reset_at) - now.getTime()) / 1000)),
  };
}

/** Takes back one hit (an attempt that turned out legitimate). */
export async function refundRateLimit(db: Kysely<Database>, key: string): Promise<void> {
  await db
    .updateTable('rate_limits')
    .set((eb) => ({ hits: eb('hits', '-', 1) }))
    .where('key', '=', key)
    .where('hits', '>', 0)
    .execute();
}

/** Forgets every hit against `key`. */
export async function resetRateLimit(db: Kysely<Database>, key: string): Promise<void> {
  await db.deleteFrom('rate_limits').where('key', '=', key).execute();
}

/** Deletes counters whose window is over; returns how many. */
export async function deleteExpiredRateLimits(
  db: Kysely<Database>,
  now: Date = new Date(),
): Promise<number> {
  const result = await db
    .deleteFrom('rate_limits')
    .where('reset_at', '<=', isoNow(now))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * The part of a client address that identifies one client for rate limiting: the whole
 * IPv4 address, or the /64 prefix of an IPv6 one (one subscriber usually holds a whole
 * /64, so per-address limits there would be trivial to dodge).
 */
export function clientAddressKey(ip: string | null): string {
  if (!ip) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped?.[1]) return mapped[1];
  if (!isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = ip.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
