import {
  type ApiTokenGrant,
  type AuthUser,
  clearedSessionCookie,
  isApiToken,
  requestSource,
  type SessionInfo,
  validateApiToken,
  validateSessionToken,
} from '@trellis/auth';
import type { ApiTokenScope, Database, Kysely, Role } from '@trellis/db';
import { initTRPC, TRPCError, type TRPCProcedureType } from '@trpc/server';
import { z } from 'zod';
import type { Context } from './context.js';
import { formatError } from './errors.js';
import { withIdempotencyKey } from './idempotency.js';
import { getUserWorkspace, getWorkspaceAs, type WorkspaceView } from './queries/workspaces.js';
import { roleAtLeast } from './roles.js';
import { zId } from './schemas.js';

const t = initTRPC.context<Context>().create({
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

/** Who is calling: a person with a session, or a machine with an API token. */
export type Principal =
  | { kind: 'user'; user: AuthUser; session: SessionInfo }
  | { kind: 'apiToken'; grant: ApiTokenGrant };

/** Who the request's credential belongs to, or why it is refused. */
function authenticate(ctx: Context): Promise<Principal | { refused: string }> {
  // Once per HTTP request: the ten calls of a batch validate the credential once.
  return ctx.once('principal', async (): Promise<Principal | { refused: string }> => {
    const { credential } = ctx;
    if (!credential) return { refused: 'Sign in first' };
    if (isApiToken(credential.token)) {
      // API tokens are for programs, which send them as bearer tokens, never as cookies.
      const grant =
        credential.kind === 'bearer'
          ? await validateApiToken(ctx.db, credential.token, ctx.now())
          : null;
      return grant
        ? { kind: 'apiToken', grant }
        : { refused: 'API token revoked, expired or invalid' };
    }
    const auth = await validateSessionToken(ctx.db, credential.token, {
      now: ctx.now(),
      policy: ctx.config.sessionPolicy,
    });
    if (auth) return { kind: 'user', ...auth };
    if (credential.kind === 'cookie') {
      ctx.setCookie(clearedSessionCookie({ secure: ctx.config.secureCookies }));
    }
    return { refused: 'Session expired or invalid' };
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

const tokensRefused = () =>
  new TRPCError({
    code: 'FORBIDDEN',
    message: 'API tokens cannot manage accounts, members, tokens or the workspace itself',
  });

/** A signed-in person; handlers receive `ctx.user` and `ctx.session`, never undefined. */
export const protectedProcedure = t.procedure.use(async (call) => {
  const { ctx, next } = call;
  const principal = await signedIn(ctx, call.type);
  if (principal.kind !== 'user') throw tokensRefused();
  const { user, session } = principal;
  // tRPC merges these keys into the context it already has.
  return withIdempotencyKey(ctx, call, keyScope(principal), () =>
    next({ ctx: { principal, user, session } }),
  );
});

/** Every input addressed to a workspace names it like this. */
export const workspaceInput = z.object({ workspaceId: zId });

/** The role an API token acts with: `read` tokens view, `write` tokens work like members. */
const TOKEN_ROLES: Record<ApiTokenScope, Role> = { read: 'viewer', write: 'member' };

/** Who acts inside a workspace: a member, or the admin on whose behalf a token acts. */
export interface Actor {
  userId: string;
  apiTokenId: string | null;
}

/**
 * How a procedure finds the workspace its input belongs to: by `workspaceId`, or through
 * the project, task or comment it names. Resolves to undefined when the thing does not
 * exist, which callers answer exactly like "not a member": NOT_FOUND.
 */
export interface WorkspaceLocator {
  /** What the answer calls the thing when it is not found ("Task"). */
  label: string;
  find(db: Kysely<Database>, rawInput: unknown): Promise<string | undefined>;
}

function locator<K extends string>(
  label: string,
  key: K,
  lookup: (db: Kysely<Database>, id: string) => Promise<string | undefined>,
): WorkspaceLocator {
  const schema = z.object({ [key]: zId });
  return {
    label,
    async find(db, rawInput) {
      const parsed = schema.safeParse(rawInput);
      if (!parsed.success) {
        throw new TRPCError({ code: 'BAD_REQUEST', message: 'Invalid input', cause: parsed.error });
      }
      return lookup(db, String(parsed.data[key]));
    },
  };
}

async function workspaceOf(
  db: Kysely<Database>,
  table: 'projects' | 'tasks' | 'comments',
  id: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom(table)
    .select('workspace_id')
    .where('id', '=', id)
    .executeTakeFirst();
  return row?.workspace_id;
}

/** Where procedures find their workspace, by the id their input carries. */
export const locate = {
  workspace: locator('Workspace', 'workspaceId', async (_db, id) => id),
  project: locator('Project', 'projectId', (db, id) => workspaceOf(db, 'projects', id)),
  task: locator('Task', 'taskId', (db, id) => workspaceOf(db, 'tasks', id)),
  comment: locator('Comment', 'commentId', (db, id) => workspaceOf(db, 'comments', id)),
} satisfies Record<string, WorkspaceLocator>;

function requireRole(workspace: WorkspaceView, minRole: Role): void {
  if (!roleAtLeast(workspace.role, minRole)) {
    throw new TRPCError({
      code: 'FORBIDDEN',
      message: `This needs the ${minRole} role; you are ${workspace.role}`,
    });
  }
}

const notFound = (where: WorkspaceLocator) =>
  new TRPCError({ code: 'NOT_FOUND', message: `${where.label} not found` });

/**
 * Inside the workspace `where` finds (by default `input.workspaceId`), for members with at least `minRole` and for API tokens of
 * that workspace (`read` tokens never mutate). Non-members and other workspaces' tokens
 * get NOT_FOUND, as if the workspace did not exist; too weak a role gets FORBIDDEN.
 * Handlers receive `ctx.workspace` and `ctx.actor`. Roles are read on every call, so a
 * role change or removal applies to the very next request.
 */
export function workspaceProcedure(minRole: Role, where: WorkspaceLocator = locate.workspace) {
  return t.procedure.use(async (call) => {
    const { ctx, type, next } = call;
    const principal = await signedIn(ctx, type);
    const workspaceId = await where.find(ctx.db, await call.getRawInput());
    if (workspaceId === undefined) throw notFound(where);
    let workspace: WorkspaceView | undefined;
    let actor: Actor;
    if (principal.kind === 'user') {
      workspace = await getUserWorkspace(ctx.db, principal.user.id, workspaceId);
      actor = { userId: principal.user.id, apiTokenId: null };
    } else {
      const { grant } = principal;
      if (grant.workspaceId !== workspaceId) throw notFound(where);
      if (type === 'mutation' && grant.scope === 'read') {
        throw new TRPCError({ code: 'FORBIDDEN', message: 'This API token is read-only' });
      }
      workspace = await getWorkspaceAs(ctx.db, workspaceId, TOKEN_ROLES[grant.scope]);
      actor = { userId: grant.createdBy, apiTokenId: grant.id };
    }
    if (!workspace) throw notFound(where);
    requireRole(workspace, minRole);
    const found = workspace;
    // After the access checks: a replayed answer is only for who may still ask for it.
    return withIdempotencyKey(ctx, call, keyScope(principal), () =>
      next({ ctx: { principal, workspace: found, actor } }),
    );
  });
}

/**
 * Like `workspaceProcedure`, but for people only: managing members, API tokens and the
 * workspace itself is refused to API tokens (FORBIDDEN, after the NOT_FOUND check).
 * Handlers also receive `ctx.user` and `ctx.session`.
 */
export function workspaceUserProcedure(minRole: Role, where: WorkspaceLocator = locate.workspace) {
  return t.procedure.use(async (call) => {
    const { ctx, next } = call;
    const principal = await signedIn(ctx, call.type);
    const workspaceId = await where.find(ctx.db, await call.getRawInput());
    if (workspaceId === undefined) throw notFound(where);
    if (principal.kind !== 'user') {
      if (principal.grant.workspaceId !== workspaceId) throw notFound(where);
      throw tokensRefused();
    }
    const workspace = await getUserWorkspace(ctx.db, principal.user.id, workspaceId);
    if (!workspace) throw notFound(where);
    requireRole(workspace, minRole);
    const { user, session } = principal;
    const actor: Actor = { userId: user.id, apiTokenId: null };
    return withIdempotencyKey(ctx, call, keyScope(principal), () =>
      next({ ctx: { principal, user, session, workspace, actor } }),
    );
  });
}
