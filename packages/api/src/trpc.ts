import { clearedSessionCookie, requestSource, validateSessionToken } from '@trellis/auth';
import type { Role } from '@trellis/db';
import { initTRPC, TRPCError } from '@trpc/server';
import { z } from 'zod';
import type { Context } from './context.js';
import { formatError } from './errors.js';
import { getUserWorkspace } from './queries/workspaces.js';
import { roleAtLeast } from './roles.js';
import { zId } from './schemas.js';

const t = initTRPC.context<Context>().create({
  errorFormatter: formatError,
  // Stack traces stay in the server log; clients never see them.
  isDev: false,
});

/** Builds a router from procedures and sub-routers. */
export const router = t.router;
/** Makes a server-side caller for a router (tests, scripts). */
export const createCallerFactory = t.createCallerFactory;

/**
 * Cookies ride along on cross-site requests, so a mutation that is not authenticated by
 * an explicit bearer token must come from our own pages: a foreign Origin (or
 * Sec-Fetch-Site) is refused, and so is a cookie-authenticated one with no Origin at all.
 */
const sameOriginMutations = t.middleware(({ ctx, type, next }) => {
  if (type !== 'mutation' || ctx.credential?.kind === 'bearer') return next();
  const source = requestSource(ctx.req, ctx.config.trustedOrigins);
  if (source === 'foreign' || (source === 'missing' && ctx.credential?.kind === 'cookie')) {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'Cross-origin request refused' });
  }
  return next();
});

/** Anyone may call; mutations still pass the same-origin check. */
export const publicProcedure = t.procedure.use(sameOriginMutations);

/** A signed-in user; handlers receive `ctx.user` and `ctx.session`, never undefined. */
export const protectedProcedure = publicProcedure.use(async ({ ctx, next }) => {
  if (!ctx.credential) {
    throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in first' });
  }
  const auth = await validateSessionToken(ctx.db, ctx.credential.token, {
    policy: ctx.config.sessionPolicy,
  });
  if (!auth) {
    if (ctx.credential.kind === 'cookie') {
      ctx.setCookie(clearedSessionCookie({ secure: ctx.config.secureCookies }));
    }
    throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Session expired or invalid' });
  }
  return next({ ctx: { ...ctx, user: auth.user, session: auth.session } });
});

/** Every input addressed to a workspace names it like this. */
export const workspaceInput = z.object({ workspaceId: zId });

/**
 * A member of `input.workspaceId` with at least `minRole`. Non-members get NOT_FOUND, as
 * if the workspace did not exist; members below `minRole` get FORBIDDEN. Handlers receive
 * `ctx.workspace`.
 */
export function workspaceProcedure(minRole: Role) {
  return protectedProcedure.use(async ({ ctx, getRawInput, next }) => {
    const parsed = workspaceInput.safeParse(await getRawInput());
    if (!parsed.success) {
      throw new TRPCError({ code: 'BAD_REQUEST', message: 'Invalid input', cause: parsed.error });
    }
    const workspace = await getUserWorkspace(ctx.db, ctx.user.id, parsed.data.workspaceId);
    if (!workspace) throw new TRPCError({ code: 'NOT_FOUND', message: 'Workspace not found' });
    if (!roleAtLeast(workspace.role, minRole)) {
      throw new TRPCError({
        code: 'FORBIDDEN',
        message: `This needs the ${minRole} role; you are ${workspace.role}`,
      });
    }
    return next({ ctx: { ...ctx, workspace } });
  });
}
