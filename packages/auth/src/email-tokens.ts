import type { Database, EmailTokenPurpose, Kysely } from '@trellis/db';
import { isoNow } from '@trellis/db';
import { issueToken, parseToken, secretMatches } from './tokens.js';

// Single-use links sent by mail: verify an address (`trv_…`, also for confirming a new
// address), reset a password (`trp_…`). Built like invites: the token carries a lookup id
// and a secret, the database keeps only a SHA-256 of the secret. A link is used up in the
// same transaction as what it does, and a newer link of a purpose replaces the older ones.

/** The prefix of each purpose's tokens: a reset token never passes as a verification one. */
export const EMAIL_TOKEN_PREFIXES: Record<EmailTokenPurpose, string> = {
  verify_email: 'trv_',
  change_email: 'trv_',
  reset_password: 'trp_',
};

/** What a used-up link was for, and for whom. */
export interface ConsumedEmailToken {
  userId: string;
  purpose: EmailTokenPurpose;
  /** The address the link was mailed to (for `change_email`, the new address). */
  email: string;
}

/** Why a token was refused; callers answer every case alike, with its own message. */
export type EmailTokenRefusal = 'invalid' | 'used' | 'expired';

/**
 * Issues a link's token for `userId` and `purpose`, valid `ttlMs` from `now`. Unused
 * tokens of the same purpose are deleted: only the newest link works. Run it inside the
 * transaction that needs it; the token is returned once and must be mailed after commit.
 */
export async function issueEmailToken(
  db: Kysely<Database>,
  options: {
    userId: string;
    purpose: EmailTokenPurpose;
    email: string;
    ttlMs: number;
    now: Date;
  },
): Promise<string> {
  const { userId, purpose, email, ttlMs, now } = options;
  await db
    .deleteFrom('email_tokens')
    .where('user_id', '=', userId)
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .execute();
  const issued = issueToken(EMAIL_TOKEN_PREFIXES[purpose]);
  await db
    .insertInto('email_tokens')
    .values({
      id: issued.id,
      user_id: userId,
      purpose,
      email,
      secret_hash: issued.secretHash,
      created_at: isoNow(now),
      expires_at: isoNow(new Date(now.getTime() + ttlMs)),
      used_at: null,
    })
    .execute();
  return issued.token;
}

/**
 * Uses up a token of one of `purposes`: marks it used and says whose it was, or why it is
 * refused. The update is conditional on the token being unused, so of two racing uses
 * exactly one wins. Run it inside the transaction that acts on it, so that a failure
 * afterwards leaves the link usable.
 */
export async function consumeEmailToken(
  db: Kysely<Database>,
  token: string,
  purposes: readonly EmailTokenPurpose[],
  now: Date,
): Promise<ConsumedEmailToken | { refused: EmailTokenRefusal }> {
  const prefixes = new Set(purposes.map((purpose) => EMAIL_TOKEN_PREFIXES[purpose]));
  const parsed = [...prefixes]
    .map((prefix) => parseToken(prefix, token))
    .find((candidate) => candidate !== null);
  if (!parsed) return { refused: 'invalid' };
  const row = await db
    .selectFrom('email_tokens')
    .select(['id', 'user_id', 'purpose', 'email', 'secret_hash', 'expires_at', 'used_at'])
    .where('id', '=', parsed.id)
    .executeTakeFirst();
  if (
    !row ||
    !purposes.includes(row.purpose) ||
    !token.startsWith(EMAIL_TOKEN_PREFIXES[row.purpose]) ||
    !secretMatches(parsed.secret, row.secret_hash)
  ) {
    return { refused: 'invalid' };
  }
  if (row.used_at !== null) return { refused: 'used' };
  if (Date.parse(row.expires_at) <= now.getTime()) return { refused: 'expired' };
  const used = await db
    .updateTable('email_tokens')
    .set({ used_at: isoNow(now) })
    .where('id', '=', row.id)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  if (used.numUpdatedRows === 0n) return { refused: 'used' };
  return { userId: row.user_id, purpose: row.purpose, email: row.email };
}

/**
 * Deletes a user's unused links (of the given purposes, or all): after a password reset
 * or an email change, links mailed before must stop working.
 */
export async function revokeEmailTokens(
  db: Kysely<Database>,
  userId: string,
  purposes?: readonly EmailTokenPurpose[],
): Promise<void> {
  let query = db
    .deleteFrom('email_tokens')
    .where('user_id', '=', userId)
    .where('used_at', 'is', null);
  if (purposes) query = query.where('purpose', 'in', purposes);
  await query.execute();
}

/** Deletes links past their expiry, used or not; returns how many (the server sweeps hourly). */
export async function deleteExpiredEmailTokens(
  db: Kysely<Database>,
  now: Date = new Date(),
): Promise<number> {
  const result = await db
    .deleteFrom('email_tokens')
    .where('expires_at', '<=', isoNow(now))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
