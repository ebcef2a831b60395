import {
  type AuthUser,
  accountStatus,
  changeUserEmail,
  checkUserPassword,
  clientAddressKey,
  consumeEmailToken,
  EMAIL_TOKEN_PREFIXES,
  type EmailTokenRefusal,
  emailTaken,
  endUnprovenAccess,
  findUserByEmail,
  findUserById,
  forgetTrustedDevices,
  hashPassword,
  invalidateAllUserSessions,
  invalidateOtherUserSessions,
  issueEmailToken,
  markEmailVerified,
  normalizeEmail,
  PASSWORD_MAX_LENGTH,
  parseToken,
  passwordStillCurrent,
  resetRateLimit,
  revokeEmailTokens,
  sessionExists,
  setPasswordHash,
} from '@trellis/auth';
import { type Database, isUniqueViolation, type Kysely } from '@trellis/db';
import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import type { Context } from '../context.js';
import { fieldError } from '../errors.js';
import type { Mailer } from '../mail/mailer.js';
import {
  confirmEmailChangeMail,
  emailChangeNoticeMail,
  RESET_PASSWORD_TTL_MS,
  resetPasswordMail,
  VERIFY_EMAIL_TTL_MS,
  verifyEmailMail,
} from '../mail/messages.js';
import { emailVerifiedOutput, okOutput, revokedOutput } from '../outputs.js';
import { enforceRateLimits } from '../rate-limits.js';
import { zEmail, zNewPassword } from '../schemas.js';
import { protectedProcedure, publicProcedure } from '../trpc.js';

// The account's own life after sign-up: proving the email (verification links), getting
// back in (password reset by mail), and changing the password or the email. Spread into
// `authRouter`, so these are `auth.verifyEmail`, `auth.resetPassword`, …
//
// Mail goes out after the transaction that issued its link commits: `mailer.send` only
// queues, so no answer waits on an SMTP server, and requestPasswordReset answers with the
// same content whether or not the address has an account (a known one costs one more
// write, a millisecond or so, but never the mail server's time).

const TOKEN_REFUSALS: Record<EmailTokenRefusal, string> = {
  invalid: 'This link is not valid; ask for a new one',
  used: 'This link has already been used; ask for a new one',
  expired: 'This link has expired; ask for a new one',
};

/** A link that cannot be used: 400 on `token`, saying why. */
const tokenRefused = (refusal: EmailTokenRefusal) => fieldError('token', TOKEN_REFUSALS[refusal]);

/** The CONFLICT for an email another account holds (sign-up, email change). */
export const emailTakenError = () =>
  new TRPCError({ code: 'CONFLICT', message: 'An account with this email already exists' });

/** The mailer, or SERVICE_UNAVAILABLE naming the setting an operator must add. */
function requireMailer(ctx: Context): Mailer {
  if (ctx.config.mailer) return ctx.config.mailer;
  throw new TRPCError({
    code: 'SERVICE_UNAVAILABLE',
    message:
      'This server cannot send mail (its operator has not set SMTP_URL), so this cannot be done now',
  });
}

const zToken = z.string().trim().min(1).max(200);
const zCurrentPassword = z.string().min(1).max(PASSWORD_MAX_LENGTH);

/**
 * Issues a verification link for `user`'s current email (inside the caller's transaction
 * when `db` is one) and returns the mail to send once it has committed; undefined when
 * this deployment cannot send mail (the account then stays unverified).
 */
export async function prepareVerificationMail(
  ctx: Context,
  db: Kysely<Database>,
  user: AuthUser,
): Promise<(() => void) | undefined> {
  const { mailer } = ctx.config;
  if (!mailer) return undefined;
  const token = await issueEmailToken(db, {
    userId: user.id,
    purpose: 'verify_email',
    email: user.email,
    ttlMs: VERIFY_EMAIL_TTL_MS,
    now: ctx.now(),
  });
  const message = verifyEmailMail({
    publicUrl: ctx.config.publicUrl,
    to: user.email,
    token,
  });
  return () => mailer.send(message);
}

/**
 * Counts a current-password check against the user's limit, then checks it: wrong is a
 * 400 on `currentPassword`, and so is an account without a password (it signs in through
 * OAuth/OIDC and sets one with a password reset). A right password takes its hit back;
 * returns the hash it matched, for `requireUnchangedCredentials`.
 */
async function requireCurrentPassword(
  ctx: Context,
  userId: string,
  password: string,
): Promise<string> {
  const key = `password-check:user:${userId}`;
  const attempt = await enforceRateLimits(ctx, [{ key, rule: 'passwordChecksPerUser' }]);
  const verdict = await checkUserPassword(ctx.db, userId, password);
  if (verdict === 'none') {
    throw fieldError(
      'currentPassword',
      'This account has no password (it signs in through another provider); set one with a password reset',
    );
  }
  if (!verdict) throw fieldError('currentPassword', 'Wrong password');
  await attempt.refund();
  return verdict;
}

/**
 * Inside the change's transaction, holding the user's row: the caller's session still
 * exists and the password is still the one checked (`passwordHash`; null for an account
 * without one). The checks before the transaction are slow (argon2); a password reset,
 * "sign out everywhere" or an account takeover committing meanwhile ended this session,
 * and a change that raced it must not undo what it did. UNAUTHORIZED otherwise.
 */
async function requireUnchangedCredentials(
  trx: Kysely<Database>,
  ctx: { user: AuthUser; session: { id: string } },
  passwordHash: string | null,
): Promise<void> {
  const unchanged =
    (await passwordStillCurrent(trx, ctx.user.id, passwordHash)) &&
    (await sessionExists(trx, ctx.session.id));
  if (!unchanged) {
    throw new TRPCError({
      code: 'UNAUTHORIZED',
      message: 'Your session or password changed meanwhile; sign in again',
    });
  }
}

/** The account procedures, spread into `authRouter`. */
export const accountProcedures = {
  verifyEmail: publicProcedure
    .input(z.object({ token: zToken }).strict())
    .output(emailVerifiedOutput)
    .mutation(async ({ ctx, input }) => {
      const now = ctx.now();
      const email = await ctx.db
        .transaction()
        .execute(async (trx) => {
          const used = await consumeEmailToken(
            trx,
            input.token,
            ['verify_email', 'change_email'],
            now,
          );
          if ('refused' in used) throw tokenRefused(used.refused);
          if (used.purpose === 'verify_email') {
            // A link to an address the account has since left proves nothing about it.
            if (!(await markEmailVerified(trx, used.userId, used.email, now))) {
              throw tokenRefused('invalid');
            }
            return used.email;
          }
          // An email change: the new address may have been taken since it was asked for.
          const holder = await findUserByEmail(trx, used.email);
          if (holder && holder.id !== used.userId) throw emailTakenError();
          await changeUserEmail(trx, used.userId, used.email, now);
          // Links mailed to the old address (a password reset above all) stop working.
          await revokeEmailTokens(trx, used.userId);
          return used.email;
        })
        .catch((error: unknown) => {
          throw isUniqueViolation(error) ? emailTakenError() : error;
        });
      return { ok: true as const, email };
    }),

  resendVerification: protectedProcedure
    .input(z.object({}).strict())
    .output(okOutput)
    .mutation(async ({ ctx }) => {
      const account = await findUserById(ctx.db, ctx.user.id);
      if (!account) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in first' });
      if (account.emailVerified) {
        throw new TRPCError({ code: 'CONFLICT', message: 'Your email is already verified' });
      }
      requireMailer(ctx);
      await enforceRateLimits(ctx, [
        { key: `account-mail:user:${account.id}`, rule: 'accountMailsPerUser' },
      ]);
      const send = await ctx.db
        .transaction()
        .execute((trx) => prepareVerificationMail(ctx, trx, account));
      send?.();
      return { ok: true as const };
    }),

  requestPasswordReset: publicProcedure
    .input(z.object({ email: zEmail }).strict())
    .output(okOutput)
    .mutation(async ({ ctx, input }) => {
      // Before anything that depends on the address, so that even this answer is the same
      // for every address.
      const mailer = requireMailer(ctx);
      const email = normalizeEmail(input.email);
      await enforceRateLimits(ctx, [
        // This client's own limit first: one refused by it spends nothing of the address's.
        { key: `reset:ip:${clientAddressKey(ctx.req.ip)}`, rule: 'passwordResetsPerIp' },
        { key: `reset:email:${email}`, rule: 'passwordResetsPerEmail' },
      ]);
      const account = await findUserByEmail(ctx.db, email);
      if (account) {
        const token = await ctx.db.transaction().execute((trx) =>
          issueEmailToken(trx, {
            userId: account.id,
            purpose: 'reset_password',
            email: account.email,
            ttlMs: RESET_PASSWORD_TTL_MS,
            now: ctx.now(),
          }),
        );
        mailer.send(
          resetPasswordMail({
            publicUrl: ctx.config.publicUrl,
            to: account.email,
            // A squatter chose the name of an unverified account: not in this mail.
            name: account.emailVerified ? account.name : undefined,
            token,
          }),
        );
      }
      return { ok: true as const };
    }),

  resetPassword: publicProcedure
    .input(z.object({ token: zToken, newPassword: zNewPassword }).strict())
    .output(okOutput)
    .mutation(async ({ ctx, input }) => {
      // A token that cannot be one is refused before the slow hash is spent on it.
      if (!parseToken(EMAIL_TOKEN_PREFIXES.reset_password, input.token)) {
        throw tokenRefused('invalid');
      }
      const passwordHash = await hashPassword(input.newPassword);
      const now = ctx.now();
      const email = await ctx.db.transaction().execute(async (trx) => {
        const used = await consumeEmailToken(trx, input.token, ['reset_password'], now);
        if ('refused' in used) throw tokenRefused(used.refused);
        const wasVerified = (await accountStatus(trx, used.userId))?.emailVerified === true;
        await setPasswordHash(trx, used.userId, passwordHash, now);
        // The link came through the mailbox: that proves the address too.
        await markEmailVerified(trx, used.userId, used.email, now);
        if (wasVerified) {
          // Whoever knew the old password is out: every session, every trusted device,
          // every pending link (an email change they asked for would move the account).
          await invalidateAllUserSessions(trx, used.userId);
          await forgetTrustedDevices(trx, used.userId);
          await revokeEmailTokens(trx, used.userId);
        } else {
          // An account that never proved its address may be a squatter's: its API tokens
          // and pending invites go too, as when an issuer's user takes it over.
          await endUnprovenAccess(trx, used.userId, now);
        }
        return used.email;
      });
      // The owner, back in with a password no one has guessed at, is not held up by the
      // failures counted against the old one: the account's, and those of this address.
      // (The keys are the ones auth.signIn counts under.)
      const account = normalizeEmail(email);
      await resetRateLimit(ctx.db, `signin:account:${account}`);
      await resetRateLimit(ctx.db, `signin:account-ip:${clientAddressKey(ctx.req.ip)}:${account}`);
      return { ok: true as const };
    }),

  changePassword: protectedProcedure
    .input(z.object({ currentPassword: zCurrentPassword, newPassword: zNewPassword }).strict())
    .output(revokedOutput)
    .mutation(async ({ ctx, input }) => {
      const checked = await requireCurrentPassword(ctx, ctx.user.id, input.currentPassword);
      const passwordHash = await hashPassword(input.newPassword);
      const now = ctx.now();
      const revoked = await ctx.db.transaction().execute(async (trx) => {
        await requireUnchangedCredentials(trx, ctx, checked);
        await setPasswordHash(trx, ctx.user.id, passwordHash, now);
        // Pending links end too: an email change asked for by whoever knew the old
        // password would otherwise move the account to their address.
        await revokeEmailTokens(trx, ctx.user.id);
        // This device stays signed in; every other session must sign in again.
        return invalidateOtherUserSessions(trx, ctx.user.id, ctx.session.id);
      });
      return { revoked };
    }),

  changeEmail: protectedProcedure
    .input(z.object({ newEmail: zEmail, currentPassword: zCurrentPassword.optional() }).strict())
    .output(okOutput)
    .mutation(async ({ ctx, input }) => {
      const mailer = requireMailer(ctx);
      const account = await findUserById(ctx.db, ctx.user.id);
      if (!account) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in first' });
      const newEmail = normalizeEmail(input.newEmail);
      if (newEmail === account.email) {
        throw fieldError('newEmail', 'This is already your email address');
      }
      let checked: string | null = null;
      if (account.hasPassword) {
        if (input.currentPassword === undefined) {
          throw fieldError('currentPassword', 'Enter your current password to change your email');
        }
        checked = await requireCurrentPassword(ctx, account.id, input.currentPassword);
      }
      if (await emailTaken(ctx.db, newEmail)) throw emailTakenError();
      await enforceRateLimits(ctx, [
        { key: `account-mail:user:${account.id}`, rule: 'accountMailsPerUser' },
      ]);
      const token = await ctx.db.transaction().execute(async (trx) => {
        await requireUnchangedCredentials(trx, ctx, checked);
        return issueEmailToken(trx, {
          userId: account.id,
          purpose: 'change_email',
          email: newEmail,
          ttlMs: VERIFY_EMAIL_TTL_MS,
          now: ctx.now(),
        });
      });
      const { publicUrl } = ctx.config;
      mailer.send(
        confirmEmailChangeMail({
          publicUrl,
          to: newEmail,
          oldEmail: account.email,
          token,
        }),
      );
      mailer.send(
        emailChangeNoticeMail({
          publicUrl,
          to: account.email,
          name: account.emailVerified ? account.name : undefined,
          newEmail,
        }),
      );
      return { ok: true as const };
    }),
} satisfies TRPCRouterRecord;
