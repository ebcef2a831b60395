import { clearedSessionCookie, isApiToken, requestSource } from '@trellis/auth';
import type { Role } from '@trellis/db';
import { initTRPC, TRPCError, type TRPCProcedureType } from '@trpc/server';
import { z } from 'zod';
import {
  type AccessNeed,
  identify,
  type Principal,
  resolveWorkspaceAccess,
  tokensRefused,
} from './access.js';
import type { Context } from './context.js';
import { formatError } from './errors.js';
import { idempotentAnswer } from './idempotency.js';
import { locate, type WorkspaceLocator } from './locate.js';
import { procedureBuilder, type ResolverCall } from './procedure-builder.js';
import { zId } from './schemas.js';

const root = initTRPC.context<Context>().create({
  errorFormatter: formatError,
  // Stack traces stay in the server log; clients never see them.
  isDev: false,
  // Subscriptions: a ping every 10 s keeps proxies from closing a quiet stream, and a
  // client that hears nothing for 25 s takes the connection for dead and reconnects
  // (resuming from its last event id).
  sse: {
    ping: { enabled: true, intervalMs: 10_000 },
    client: { reconnectAfterInactivityMs: 25_000 },
  },
});

/**
 * A mutation's answer goes through the request's `Idempotency-Key` (idempotency.ts) for the
 * principal a guard let in: after every access check, so a replay is only for who may still
 * ask for it. Public procedures have no principal to keep keys for: the key is ignored there.
 */
function answerOnce(call: ResolverCall, resolve: () => Promise<unknown>): Promise<unknown> {
  // The request's context with what the guards added (tRPC types that per procedure).
  const ctx = call.ctx as Context & { principal?: Principal };
  if (ctx.principal === undefined) return resolve();
  return idempotentAnswer(ctx, call, keyScope(ctx.principal), resolve);
}

/**
 * tRPC's root, with procedures from procedure-builder.ts: input and output parsed around the
 * resolver rather than in a middleware level each, and the answer kept for `Idempotency-Key`.
 */
const t = {
  router: root.router,
  createCallerFactory: root.createCallerFactory,
  procedure: procedureBuilder(root.procedure, { answer: answerOnce }),
};

/** Builds a router from procedures and sub-routers. */
export const router = t.router;
/** Makes a server-side caller for a router (tests, scripts). */
export const createCallerFactory = t.createCallerFactory;

/**
 * Cookies ride along on cross-site requests, so a mutation that is not authenticated by
 * an explicit bearer token must come from our own pages: a foreign Origin (or
 * Sec-Fetch-Site) is refused, and so is a cookie-authenticated one with no Origin at all.
 */
function refuseForeignMutations(ctx: Context, type: TRPCProcedureType): void {
  if (type !== 'mutation' || ctx.credential?.kind === 'bearer') return;
  const source = requestSource(
    { ...ctx.req, secure: ctx.config.secureCookies },
    ctx.config.trustedOrigins,
  );
  if (source === 'foreign' || (source === 'missing' && ctx.credential?.kind === 'cookie')) {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'Cross-origin request refused' });
  }
}

/**
 * Anyone may call; mutations still pass the same-origin check. `Idempotency-Key` is
 * ignored here: there is no principal to keep the key for, and the public mutations
 * (sign-up, sign-in) answer with session tokens, which are never stored.
 */
export const publicProcedure = t.procedure.use(({ ctx, type, next }) => {
  refuseForeignMutations(ctx, type);
  return next();
});

/** Who the request's credential belongs to, or why it is refused. */
function authenticate(ctx: Context): Promise<Principal | { refused: string }> {
  // Once per HTTP request: the ten calls of a batch validate the credential once.
  return ctx.once('principal', async () => {
    const { credential } = ctx;
    const principal = await identify(ctx.db, credential, {
      now: ctx.now(),
      policy: ctx.config.sessionPolicy,
    });
    // A dead session's cookie is cleared (an API token never comes as a cookie).
    if ('refused' in principal && credential?.kind === 'cookie' && !isApiToken(credential.token)) {
      ctx.setCookie(clearedSessionCookie({ secure: ctx.config.secureCookies }));
    }
    return principal;
  });
}

/**
 * The same-origin check, then who is calling or UNAUTHORIZED. Each procedure kind runs its
 * checks in one middleware: every tRPC middleware level copies the call's options and
 * context, which is measurable on a point read (docs/performance.md).
 */
async function signedIn(ctx: Context, type: TRPCProcedureType): Promise<Principal> {
  refuseForeignMutations(ctx, type);
  const principal = await authenticate(ctx);
  if ('refused' in principal) {
    throw new TRPCError({ code: 'UNAUTHORIZED', message: principal.refused });
  }
  return principal;
}

/**
 * Whose idempotency keys a principal uses: a person's are theirs on every device; each
 * API token has its own.
 */
function keyScope(principal: Principal): string {
  return principal.kind === 'user' ? `user:${principal.user.id}` : `token:${principal.grant.id}`;
}

/** A signed-in person; handlers receive `ctx.user` and `ctx.session`, never undefined. */
export const protectedProcedure = t.procedure.use(async (call) => {
  const { ctx, next } = call;
  const principal = await signedIn(ctx, call.type);
  if (principal.kind !== 'user') throw tokensRefused();
  const { user, session } = principal;
  // tRPC merges these keys into the context it already has.
  return next({ ctx: { principal, user, session } });
});

/** Every input addressed to a workspace names it like this. */
export const workspaceInput = z.object({ workspaceId: zId });

/**
 * Resolves the workspace `where` finds in the call's input and asks the access resolver
 * (access.ts) whether the caller may make this call there, as `need` says.
 */
async function enterWorkspace(
  call: { ctx: Context; type: TRPCProcedureType; getRawInput(): Promise<unknown> },
  where: WorkspaceLocator,
  need: Omit<AccessNeed, 'mutation' | 'label'>,
) {
  const { ctx, type } = call;
  const principal = await signedIn(ctx, type);
  const workspaceId = await where.find(ctx.db, await call.getRawInput());
  const access = await resolveWorkspaceAccess(ctx.db, principal, workspaceId, {
    ...need,
    mutation: type === 'mutation',
    label: where.label,
  });
  if ('refused' in access) throw access.refused;
  return { principal, ...access };
}

/**
 * Inside the workspace `where` finds (by default `input.workspaceId`), for members with at
 * least `minRole` and for API tokens of that workspace (`read` tokens never mutate).
 * Non-members and other workspaces' tokens get NOT_FOUND, as if the workspace did not
 * exist; too weak a role gets FORBIDDEN (resolveWorkspaceAccess). Handlers receive
 * `ctx.workspace` and `ctx.actor`.
 */
export function workspaceProcedure(minRole: Role, where: WorkspaceLocator = locate.workspace) {
  return t.procedure.use(async (call) => {
    const { principal, workspace, actor } = await enterWorkspace(call, where, {
      minRole,
      peopleOnly: false,
    });
    return call.next({ ctx: { principal, workspace, actor } });
  });
}

/**
 * Like `workspaceProcedure`, but for people only: managing members, API tokens and the
 * workspace itself is refused to API tokens (FORBIDDEN, after the NOT_FOUND check).
 * Handlers also receive `ctx.user` and `ctx.session`.
 */
export function workspaceUserProcedure(minRole: Role, where: WorkspaceLocator = locate.workspace) {
  return t.procedure.use(async (call) => {
    const { principal, workspace, actor } = await enterWorkspace(call, where, {
      minRole,
      peopleOnly: true,
    });
    // The resolver refuses tokens on people-only calls: only a person gets here.
    if (principal.kind !== 'user') throw tokensRefused();
    const { user, session } = principal;
    return call.next({ ctx: { principal, user, session, workspace, actor } });
  });
}
