import type { Database, Kysely } from '@trellis/db';
import { dialectOf, isoNow, isUniqueViolation, newId } from '@trellis/db';
import { freeHandle, handleBase, insertWithFreeHandle } from '../handles.js';
import { endUnprovenAccess } from '../unproven-account.js';
import { type HandledUser, insertUserRow, normalizeEmail } from '../users.js';
import { OAuthError, type OAuthIdentity } from './providers.js';

const NAME_MAX = 100;

/**
 * The user an OAuth identity signs in as: the one it is already linked to; otherwise the
 * account with the same email, but only when the provider verified that email (anyone can
 * type an address into a provider profile); otherwise a new password-less account, its
 * email verified by the issuer. One transaction, so a failure links nothing.
 *
 * An existing account is linked as it is only when it proved it owns the email too
 * (`email_verified_at`). An unverified one may be an attacker's, made with the victim's
 * address before the victim ever came (pre-hijack): the person the issuer vouches for
 * takes the address over instead, and whoever made the account is shut out (`takeOver`).
 */
export async function signInWithOAuthIdentity(
  db: Kysely<Database>,
  provider: string,
  identity: OAuthIdentity,
  now: Date = new Date(),
): Promise<HandledUser> {
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
): Promise<HandledUser> {
  return db.transaction().execute(async (trx) => {
    const linked = await trx
      .selectFrom('oauth_accounts')
      .innerJoin('users', 'users.id', 'oauth_accounts.user_id')
      .select(['users.id', 'users.email', 'users.name', 'users.handle'])
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
    // Locked until the sign-in commits (PostgreSQL; SQLite write transactions are
    // serial): an email change committing meanwhile must not move the account away
    // between this read and the takeover below.
    const lookup = trx
      .selectFrom('users')
      .select(['id', 'email', 'name', 'handle', 'email_verified_at'])
      .where('email', '=', email);
    const existing = await (dialectOf(trx) === 'postgres'
      ? lookup.forUpdate()
      : lookup
    ).executeTakeFirst();
    let user: HandledUser;
    if (!existing) {
      const fresh = { id: newId(), email, name: displayName(identity, email) };
      const handle = await insertWithFreeHandle(trx, email, (candidate) =>
        insertUserRow(trx, {
          ...fresh,
          handle: candidate,
          password_hash: null,
          // The issuer vouched for the address: the account starts verified.
          email_verified_at: isoNow(now),
          created_at: isoNow(now),
          updated_at: isoNow(now),
        }),
      );
      user = { ...fresh, handle };
    } else if (existing.email_verified_at === null) {
      // Like the name, a handle other than the email's own may be a squatter's choice.
      const base = handleBase(email);
      const handle = new RegExp(`^${base}\\d*$`).test(existing.handle)
        ? existing.handle
        : await freeHandle(trx, base);
      user = await takeOver(trx, existing.id, { email, handle }, displayName(identity, email), now);
    } else {
      user = {
        id: existing.id,
        email: existing.email,
        name: existing.name,
        handle: existing.handle,
      };
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

/**
 * Hands an unverified account to the person the issuer vouches for, inside the sign-in's
 * transaction. Whoever made it never proved they own the address, so every way they had
 * in ends: the password, every session, trusted devices (which would spare them the
 * sign-in lockout), pending mailed links (a change-email link would move the account to
 * their own address, a reset link sets a password), the API tokens they made (they may
 * own workspaces as this account), the invites they sent that are still pending (they
 * carry this account's authority), and any other provider link. The account keeps its id,
 * workspaces and work; its name becomes the one the issuer gives (the old one was chosen
 * by whoever made the account), its handle one made from the email unless it already is,
 * and its email counts as verified from now on.
 */
async function takeOver(
  trx: Kysely<Database>,
  userId: string,
  { email, handle }: { email: string; handle: string },
  name: string,
  now: Date,
): Promise<HandledUser> {
  await trx
    .updateTable('users')
    .set({
      password_hash: null,
      email_verified_at: isoNow(now),
      name,
      handle,
      updated_at: isoNow(now),
    })
    .where('id', '=', userId)
    .execute();
  await endUnprovenAccess(trx, userId, now);
  // Every link verifies the account, so an unverified one has none; dropping any that a
  // hand-edited or older database holds keeps "nobody else gets back in" true regardless.
  await trx.deleteFrom('oauth_accounts').where('user_id', '=', userId).execute();
  return { id: userId, email, name, handle };
}

function displayName(identity: OAuthIdentity, email: string): string {
  // Names reach other members' screens: drop control characters, as sign-up does, and
  // format characters (\p{Cf}: bidi overrides such as U+202E, zero-width joiners), which
  // can make a name read as something else.
  const cleaned = (identity.name ?? '')
    .replace(/[\p{Cc}\p{Cf}]/gu, '')
    .trim()
    .slice(0, NAME_MAX);
  return cleaned || email.slice(0, email.indexOf('@'));
}
