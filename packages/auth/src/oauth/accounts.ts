import type { Database, Kysely } from '@trellis/db';
import { isoNow, isUniqueViolation, newId } from '@trellis/db';
import type { AuthUser } from '../sessions.js';
import { normalizeEmail } from '../users.js';
import { OAuthError, type OAuthIdentity } from './providers.js';

const NAME_MAX = 100;

/**
 * The user an OAuth identity signs in as: the one it is already linked to; otherwise the
 * account with the same email, linked now, but only when the provider verified that
 * email (anyone can type an address into a provider profile); otherwise a new
 * password-less account. One transaction, so a failure links nothing.
 */
export async function signInWithOAuthIdentity(
  db: Kysely<Database>,
  provider: string,
  identity: OAuthIdentity,
  now: Date = new Date(),
): Promise<AuthUser> {
  try {
    return await linkOrCreate(db, provider, identity, now);
  } catch (error) {
    // Two first sign-ins racing: the loser finds what the winner linked.
    if (!isUniqueViolation(error)) throw error;
    return linkOrCreate(db, provider, identity, now);
  }
}

function linkOrCreate(
  db: Kysely<Database>,
  provider: string,
  identity: OAuthIdentity,
  now: Date,
): Promise<AuthUser> {
  return db.transaction().execute(async (trx) => {
    const linked = await trx
      .selectFrom('oauth_accounts')
      .innerJoin('users', 'users.id', 'oauth_accounts.user_id')
      .select(['users.id', 'users.email', 'users.name'])
      .where('oauth_accounts.provider', '=', provider)
      .where('oauth_accounts.subject', '=', identity.subject)
      .executeTakeFirst();
    if (linked) return linked;

    if (!identity.email || !identity.emailVerified) {
      throw new OAuthError(
        'unverified_email',
        'Your account at the provider has no verified email address',
      );
    }
    const email = normalizeEmail(identity.email);
    let user: AuthUser | undefined = await trx
      .selectFrom('users')
      .select(['id', 'email', 'name'])
      .where('email', '=', email)
      .executeTakeFirst();
    if (!user) {
      user = { id: newId(), email, name: displayName(identity, email) };
      await trx
        .insertInto('users')
        .values({ ...user, password_hash: null, created_at: isoNow(now), updated_at: isoNow(now) })
        .execute();
    }
    await trx
      .insertInto('oauth_accounts')
      .values({
        provider,
        subject: identity.subject,
        user_id: user.id,
        email,
        created_at: isoNow(now),
      })
      .execute();
    return user;
  });
}

function displayName(identity: OAuthIdentity, email: string): string {
  // Names reach other members' screens: drop control characters, as sign-up does.
  const cleaned = (identity.name ?? '')
    .replace(/\p{Cc}/gu, '')
    .trim()
    .slice(0, NAME_MAX);
  return cleaned || email.slice(0, email.indexOf('@'));
}
