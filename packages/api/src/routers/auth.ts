import {
  accountStatus,
  clearedSessionCookie,
  clientAddressKey,
  createPasswordUser,
  createSession,
  DEFAULT_SESSION_POLICY,
  DEVICE_TOKEN_PATTERN,
  deviceCookie,
  deviceCookieName,
  emailTaken,
  findTrustedDevice,
  hashPassword,
  invalidateAllUserSessions,
  invalidateSession,
  invalidateUserSession,
  listUserSessions,
  matchPassword,
  normalizeEmail,
  PASSWORD_MAX_LENGTH,
  passwordStillCurrent,
  readCookie,
  revokeEmailTokens,
  type SessionInfo,
  sessionCookie,
  TRUSTED_DEVICE_LIFETIME_MS,
  trustDevice,
} from '@trellis/auth';
import { type Database, isUniqueViolation, type Kysely } from '@trellis/db';
import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import type { Context } from '../context.js';
import {
  meOutput,
  okOutput,
  revokedOutput,
  sessionOutput,
  signedInOutput,
  signInOutput,
} from '../outputs.js';
import { listUserWorkspaces } from '../queries/workspaces.js';
import { enforceRateLimits, forgetRateLimit } from '../rate-limits.js';
import { zEmail, zId, zName, zNewPassword } from '../schemas.js';
import { protectedProcedure, publicProcedure } from '../trpc.js';
import { accountProcedures, emailTakenError, prepareVerificationMail } from './account.js';
import { profileProcedures } from './profile.js';

/**
 * Starts a session for `userId` (inside the caller's transaction when `db` is one); the
 * token is returned once and must then be handed over with `deliverSession`.
 */
function startSession(ctx: Context, db: Kysely<Database>, userId: string) {
  return createSession(
    db,
    userId,
    { userAgent: ctx.req.userAgent, ip: ctx.req.ip },
    { now: ctx.now(), policy: ctx.config.sessionPolicy },
  );
}

/** Sets the browser cookie for a committed session and shapes the API answer. */
function deliverSession(ctx: Context, { token, session }: { token: string; session: SessionInfo }) {
  // The cookie lives as long as the session could (its absolute lifetime); inactivity
  // expiry is enforced by the server, which slides it on use.
  const policy = ctx.config.sessionPolicy ?? DEFAULT_SESSION_POLICY;
  ctx.setCookie(
    sessionCookie(token, policy.absoluteMs / 1000, { secure: ctx.config.secureCookies }),
  );
  return { token, expiresAt: session.expiresAt };
}

/**
 * The trusted device of the account with `email` that this sign-in presents (the
 * `deviceToken` input, else the device cookie), or null.
 */
function presentedDevice(ctx: Context, email: string, inputToken: string | undefined) {
  const token =
    inputToken ??
    readCookie(ctx.req.cookie, deviceCookieName({ secure: ctx.config.secureCookies }));
  return token ? findTrustedDevice(ctx.db, token, email, ctx.now()) : Promise.resolve(null);
}

function sessionView(session: SessionInfo, currentId: string) {
  const { userId: _, ...view } = session;
  return { ...view, current: session.id === currentId };
}

export const authRouter = {
  ...accountProcedures,
  ...profileProcedures,

  signUp: publicProcedure
    .input(z.object({ email: zEmail, password: zNewPassword, name: zName }).strict())
    .output(signedInOutput)
    .mutation(async ({ ctx, input }) => {
      await enforceRateLimits(ctx, [
        { key: `signup:ip:${clientAddressKey(ctx.req.ip)}`, rule: 'signUpPerIp' },
      ]);
      // Checked first to spare an argon2 hash; the unique index still decides races.
      if (await emailTaken(ctx.db, input.email)) throw emailTakenError();
      const passwordHash = await hashPassword(input.password);
      const { user, started, sendVerification } = await ctx.db
        .transaction()
        .execute(async (trx) => {
          const user = await createPasswordUser(trx, { ...input, passwordHash });
          return {
            user,
            started: await startSession(ctx, trx, user.id),
            // The link is issued with the account; the mail goes once both are committed.
            sendVerification: await prepareVerificationMail(ctx, trx, user),
          };
        })
        .catch((error: unknown) => {
          throw isUniqueViolation(error) ? emailTakenError() : error;
        });
      sendVerification?.();
      return { user, session: deliverSession(ctx, started) };
    }),

  signIn: publicProcedure
    .input(
      z
        .object({
          email: zEmail,
          password: z.string().min(1).max(PASSWORD_MAX_LENGTH),
          // What an earlier sign-in answered; browsers send the device cookie instead.
          deviceToken: z
            .string()
            .regex(DEVICE_TOKEN_PATTERN, 'Not a device token (trd_…)')
            .optional(),
        })
        .strict(),
    )
    .output(signInOutput)
    .mutation(async ({ ctx, input }) => {
      const email = normalizeEmail(input.email);
      const device = await presentedDevice(ctx, email, input.deviceToken);
      // Counted before the password is checked, so that concurrent guesses cannot slip
      // past the limits. A trusted device meets only its own limit: failures from
      // elsewhere never lock it out. Every other attempt is limited per account and
      // address, per address, and (high, against guessing from many addresses) per
      // account. A refused attempt counts against none of them.
      const address = clientAddressKey(ctx.req.ip);
      const accountAtAddressKey = `signin:account-ip:${address}:${email}`;
      const deviceKey = device ? `signin:device:${device.id}` : undefined;
      const attempt = await enforceRateLimits(
        ctx,
        deviceKey
          ? [{ key: deviceKey, rule: 'signInPerDevice' }]
          : [
              { key: accountAtAddressKey, rule: 'signInPerAccountAndIp' },
              { key: `signin:ip:${address}`, rule: 'signInPerIp' },
              { key: `signin:account:${email}`, rule: 'signInPerAccount' },
            ],
      );
      const wrong = () =>
        new TRPCError({ code: 'UNAUTHORIZED', message: 'Wrong email or password' });
      const match = await matchPassword(ctx.db, email, input.password);
      if (!match) throw wrong();
      const { user } = match;
      // Not a failure: its hits go back, and the earlier failures of this device and of
      // this account from this address (the owner's typos) are forgotten. Failures
      // elsewhere still count.
      await attempt.refund();
      await forgetRateLimit(ctx, accountAtAddressKey);
      if (deviceKey) await forgetRateLimit(ctx, deviceKey);
      const { started, deviceToken } = await ctx.db.transaction().execute(async (trx) => {
        // Changed, reset or taken over since it was checked: that ended every session.
        if (!(await passwordStillCurrent(trx, user.id, match.passwordHash))) throw wrong();
        return {
          started: await startSession(ctx, trx, user.id),
          deviceToken: await trustDevice(trx, user.id, { now: ctx.now(), replaces: device?.id }),
        };
      });
      const session = deliverSession(ctx, started);
      ctx.setCookie(
        deviceCookie(deviceToken, TRUSTED_DEVICE_LIFETIME_MS / 1000, {
          secure: ctx.config.secureCookies,
        }),
      );
      return { user, session, deviceToken };
    }),

  signOut: protectedProcedure
    .input(z.object({}).strict())
    .output(okOutput)
    .mutation(async ({ ctx }) => {
      await invalidateSession(ctx.db, ctx.session.id);
      ctx.setCookie(clearedSessionCookie({ secure: ctx.config.secureCookies }));
      return { ok: true as const };
    }),

  signOutEverywhere: protectedProcedure
    .input(z.object({}).strict())
    .output(revokedOutput)
    .mutation(async ({ ctx }) => {
      const revoked = await ctx.db.transaction().execute(async (trx) => {
        // Pending mailed links end too: an email change asked for from a stolen session
        // would otherwise still move the account once its owner signed everyone out.
        await revokeEmailTokens(trx, ctx.user.id);
        return invalidateAllUserSessions(trx, ctx.user.id);
      });
      ctx.setCookie(clearedSessionCookie({ secure: ctx.config.secureCookies }));
      return { revoked };
    }),

  me: protectedProcedure.output(meOutput).query(async ({ ctx }) => {
    const [status, workspaces] = await Promise.all([
      accountStatus(ctx.db, ctx.user.id),
      listUserWorkspaces(ctx.db, ctx.user.id),
    ]);
    return {
      // No status: the account was deleted meanwhile (its session with it).
      user: { ...ctx.user, emailVerified: false, hasPassword: false, handle: '', ...status },
      workspaces: workspaces.map(({ id, name, slug, role }) => ({ id, name, slug, role })),
    };
  }),

  sessions: {
    list: protectedProcedure.output(z.array(sessionOutput)).query(async ({ ctx }) =>
      (
        await listUserSessions(ctx.db, ctx.user.id, {
          now: ctx.now(),
          policy: ctx.config.sessionPolicy,
        })
      ).map((s) => sessionView(s, ctx.session.id)),
    ),

    revoke: protectedProcedure
      .input(z.object({ sessionId: zId }).strict())
      .output(okOutput)
      .mutation(async ({ ctx, input }) => {
        if (!(await invalidateUserSession(ctx.db, ctx.user.id, input.sessionId))) {
          throw new TRPCError({ code: 'NOT_FOUND', message: 'Session not found' });
        }
        if (input.sessionId === ctx.session.id) {
          ctx.setCookie(clearedSessionCookie({ secure: ctx.config.secureCookies }));
        }
        return { ok: true as const };
      }),
  },
} satisfies TRPCRouterRecord;
