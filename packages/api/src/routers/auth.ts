import {
  authenticateWithPassword,
  clearedSessionCookie,
  createPasswordUser,
  createSession,
  DEFAULT_SESSION_POLICY,
  emailTaken,
  invalidateAllUserSessions,
  invalidateSession,
  invalidateUserSession,
  listUserSessions,
  type SessionInfo,
  sessionCookie,
} from '@trellis/auth';
import { isUniqueViolation } from '@trellis/db';
import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import type { Context } from '../context.js';
import { listUserWorkspaces } from '../queries/workspaces.js';
import { zEmail, zId, zName, zNewPassword } from '../schemas.js';
import { protectedProcedure, publicProcedure } from '../trpc.js';

const emailTakenError = () =>
  new TRPCError({ code: 'CONFLICT', message: 'An account with this email already exists' });

/** Starts a session for `userId`, sets the browser cookie, and returns the token once. */
async function startSession(ctx: Context, userId: string) {
  const { token, session } = await createSession(
    ctx.db,
    userId,
    { userAgent: ctx.req.userAgent, ip: ctx.req.ip },
    { policy: ctx.config.sessionPolicy },
  );
  // The cookie lives as long as the session could (its absolute lifetime); inactivity
  // expiry is enforced by the server, which slides it on use.
  const policy = ctx.config.sessionPolicy ?? DEFAULT_SESSION_POLICY;
  const maxAgeSeconds = policy.absoluteMs / 1000;
  ctx.setCookie(sessionCookie(token, maxAgeSeconds, { secure: ctx.config.secureCookies }));
  return { token, expiresAt: session.expiresAt };
}

function sessionView(session: SessionInfo, currentId: string) {
  const { userId: _, ...view } = session;
  return { ...view, current: session.id === currentId };
}

export const authRouter = {
  signUp: publicProcedure
    .input(z.object({ email: zEmail, password: zNewPassword, name: zName }).strict())
    .mutation(async ({ ctx, input }) => {
      // Checked first to spare an argon2 hash; the unique index still decides races.
      if (await emailTaken(ctx.db, input.email)) throw emailTakenError();
      const user = await createPasswordUser(ctx.db, input).catch((error: unknown) => {
        throw isUniqueViolation(error) ? emailTakenError() : error;
      });
      return { user, session: await startSession(ctx, user.id) };
    }),

  signIn: publicProcedure
    .input(z.object({ email: zEmail, password: z.string().min(1).max(256) }).strict())
    .mutation(async ({ ctx, input }) => {
      const user = await authenticateWithPassword(ctx.db, input.email, input.password);
      if (!user) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Wrong email or password' });
      return { user, session: await startSession(ctx, user.id) };
    }),

  signOut: protectedProcedure.input(z.object({}).strict()).mutation(async ({ ctx }) => {
    await invalidateSession(ctx.db, ctx.session.id);
    ctx.setCookie(clearedSessionCookie({ secure: ctx.config.secureCookies }));
    return { ok: true as const };
  }),

  signOutEverywhere: protectedProcedure.input(z.object({}).strict()).mutation(async ({ ctx }) => {
    const revoked = await invalidateAllUserSessions(ctx.db, ctx.user.id);
    ctx.setCookie(clearedSessionCookie({ secure: ctx.config.secureCookies }));
    return { revoked };
  }),

  me: protectedProcedure.query(async ({ ctx }) => ({
    user: ctx.user,
    workspaces: (await listUserWorkspaces(ctx.db, ctx.user.id)).map(({ id, name, slug, role }) => ({
      id,
      name,
      slug,
      role,
    })),
  })),

  sessions: {
    list: protectedProcedure.query(async ({ ctx }) =>
      (await listUserSessions(ctx.db, ctx.user.id, { policy: ctx.config.sessionPolicy })).map((s) =>
        sessionView(s, ctx.session.id),
      ),
    ),

    revoke: protectedProcedure
      .input(z.object({ sessionId: zId }).strict())
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
