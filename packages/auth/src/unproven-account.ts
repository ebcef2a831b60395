import type { Database, Kysely } from '@trellis/db';
import { type RevokedApiToken, revokeApiTokensCreatedBy } from './api-tokens.js';
import { forgetTrustedDevices } from './devices.js';
import { revokeEmailTokens } from './email-tokens.js';
import { invalidateAllUserSessions } from './sessions.js';

/**
 * Ends every way in that whoever held an account before its email was proven may have
 * kept, inside the caller's transaction: when the owner of the address arrives (through
 * an issuer that vouches for it, or a password reset from the mailbox) at an account that
 * never proved it, that account may be a squatter's (account pre-hijacking). Sessions,
 * trusted devices and pending mailed links end (an email-change link would move the
 * account to the squatter's address); API tokens it created are revoked; invites it sent
 * and that are still pending are withdrawn (they carry its authority). Returns the
 * revoked tokens.
 */
export async function endUnprovenAccess(
  trx: Kysely<Database>,
  userId: string,
  now: Date = new Date(),
): Promise<RevokedApiToken[]> {
  await invalidateAllUserSessions(trx, userId);
  await forgetTrustedDevices(trx, userId);
  await revokeEmailTokens(trx, userId);
  await trx
    .deleteFrom('invites')
    .where('invited_by', '=', userId)
    .where('accepted_at', 'is', null)
    .execute();
  return revokeApiTokensCreatedBy(trx, userId, { now });
}
