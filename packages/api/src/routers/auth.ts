import {
  authenticateWithPassword,
  clearedSessionCookie,
  clientAddressKey,
  createPasswordUser,
  createSession,
  DEFAULT_SESSION_POLICY,
  emailTaken,
  hashPassword,
  invalidateAllUserSessions,
  invalidateSession,
  invalidateUserSession,
  listUserSessions,
  normalizeEmail,
  PASSWORD_MAX_LENGTH,
  refundRateLimit,
  resetRateLimit,
  type SessionInfo,
  sessionCookie,
} from '@trellis/auth';
import { type Database, isUniqueViolation, type Kysely } from '@trellis/db';
import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import type { Context } from '../context.js';
import { meOutput, okOutput, revokedOutput, sessionOutput, signedInOutput } from '../outputs.js';
import { listUserWorkspaces } from '../queries/workspaces.js';
import { enforceRateLimits } from '../rate-limits.js';
import { zEmail, zId, zName, zNewPassword } from '../schemas.js';
import { protectedProcedure, publicProcedure } from '../trpc.js';

const emailTakenError = () =>
  new TRPCError({ code: 'CONFLICT', message: 'An account with this email already exists' });

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

function sessionView(session: SessionInfo, currentId: string) {
  const { userId: _, ...view } = session;
  return { ...view, current: session.id === currentId };
}

export const authRouter = {
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
      const { user, started } = await ctx.db
        .transaction()
        .execute(async (trx) => {
          const user = await createPasswordUser(trx, { ...input, passwordHash });
          return { user, started: await startSession(ctx, trx, user.id) };
        })
        .catch((error: unknown) => {
          throw isUniqueViolation(error) ? emailTakenError() : error;
        });
      return { user, session: deliverSession(ctx, started) };
    }),

  signIn: publicProcedure
    .input(
      z.object({ email: zEmail, password: z.string().min(1).max(PASSWORD_MAX_LENGTH) }).strict(),
    )
    .output(signedInOutput)
    .mutation(async ({ ctx, input }) => {
      // Counted before the password is checked, so that concurrent guesses cannot slip
      // past the limit; a success takes its hits back.
      const accountKey = `signin:account:${normalizeEmail(input.email)}`;
      const ipKey = `signin:ip:${clientAddressKey(ctx.req.ip)}`;
      await enforceRateLimits(ctx, [
        { key: accountKey, rule: 'signInPerAccount' },
        { key: ipKey, rule: 'signInPerIp' },
      ]);
      const user = await authenticateWithPassword(ctx.db, input.email, input.password);
      if (!user) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Wrong email or password' });
      await resetRateLimit(ctx.db, accountKey);
      await refundRateLimit(ctx.db, ipKey);
      return { user, session: deliverSession(ctx, await startSession(ctx, ctx.db, user.id)) };
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
      const revoked = await invalidateAllUserSessions(ctx.db, ctx.user.id);
      ctx.setCookie(clearedSessionCookie({ secure: ctx.config.secureCookies }));
      return { revoked };
    }),

  me: protectedProcedure.output(meOutput).query(async ({ ctx }) => ({
    user: ctx.user,
    workspaces: (await listUserWorkspaces(ctx.db, ctx.user.id)).map(({ id, name, slug, role }) => ({
      id,
      name,
      slug,
      role,
    })),
  })),

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
