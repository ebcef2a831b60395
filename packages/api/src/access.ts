import {
  type ApiTokenGrant,
  type AuthUser,
  isApiToken,
  type SessionInfo,
  type SessionPolicy,
  validateApiToken,
  validateSessionToken,
} from '@trellis/auth';
import type { ApiTokenScope, Database, Kysely, Role } from '@trellis/db';
import { TRPCError } from '@trpc/server';
import type { Credential } from './context.js';
import { getUserWorkspace, getWorkspaceAs, type WorkspaceView } from './queries/workspaces.js';
import { roleAtLeast } from './roles.js';

// Who may do what inside a workspace, decided in one place: the procedure builders
// (trpc.ts) ask before every call, and a live stream asks again on every wake-up, so the
// two can never disagree about who is let in.

/** Who is calling: a person with a session, or a machine with an API token. */
export type Principal =
  | { kind: 'user'; user: AuthUser; session: SessionInfo }
  | { kind: 'apiToken'; grant: ApiTokenGrant };

/**
 * Who a credential belongs to now, or why it is refused (the UNAUTHORIZED message). Reads
 * the database every time: callers that may ask twice per request keep the answer.
 */
export async function identify(
  db: Kysely<Database>,
  credential: Credential,
  options: { now: Date; policy?: SessionPolicy | undefined },
): Promise<Principal | { refused: string }> {
  if (!credential) return { refused: 'Sign in first' };
  if (isApiToken(credential.token)) {
    // API tokens are for programs, which send them as bearer tokens, never as cookies.
    const grant =
      credential.kind === 'bearer'
        ? await validateApiToken(db, credential.token, options.now)
        : null;
    return grant
      ? { kind: 'apiToken', grant }
      : { refused: 'API token revoked, expired or invalid' };
  }
  const auth = await validateSessionToken(db, credential.token, options);
  return auth ? { kind: 'user', ...auth } : { refused: 'Session expired or invalid' };
}

/** Who acts inside a workspace: a member, or the admin on whose behalf a token acts. */
export interface Actor {
  userId: string;
  apiTokenId: string | null;
}

/** What a call needs to be let into a workspace. */
export interface AccessNeed {
  /** The weakest role that may make the call. */
  minRole: Role;
  /** Whether the call changes something: read-only tokens are then refused. */
  mutation: boolean;
  /** Managing members, API tokens and the workspace itself is for people, never tokens. */
  peopleOnly: boolean;
  /** What NOT_FOUND calls the thing the input named ("Task" → "Task not found"). */
  label: string;
}

/** A call let into a workspace: the workspace as the caller sees it, and who acts. */
export interface WorkspaceAccess {
  workspace: WorkspaceView;
  actor: Actor;
}

/** The role an API token acts with: `read` tokens view, `write` tokens work like members. */
const TOKEN_ROLES: Record<ApiTokenScope, Role> = { read: 'viewer', write: 'member' };

/**
 * Why a token may not make a people-only call (FORBIDDEN). Worded for every such call, not
 * only the managing ones: an inbox, watching a task and a profile are a person's too.
 */
export const tokensRefused = () =>
  new TRPCError({
    code: 'FORBIDDEN',
    message: 'This is for people only: API tokens cannot call it',
  });

/**
 * Whether `principal` may make a call that `need`s this of the workspace `workspaceId`
 * (undefined: the input named something that does not exist). Non-members and other
 * workspaces' tokens get NOT_FOUND, as if the workspace did not exist; then tokens on
 * people-only calls, read-only tokens on mutations and too weak a role get FORBIDDEN.
 * Roles are read on every call, so a role change or removal applies to the very next one.
 */
export async function resolveWorkspaceAccess(
  db: Kysely<Database>,
  principal: Principal,
  workspaceId: string | undefined,
  need: AccessNeed,
): Promise<WorkspaceAccess | { refused: TRPCError }> {
  const notFound = () => ({
    refused: new TRPCError({ code: 'NOT_FOUND', message: `${need.label} not found` }),
  });
  if (workspaceId === undefined) return notFound();
  let workspace: WorkspaceView | undefined;
  let actor: Actor;
  if (principal.kind === 'user') {
    workspace = await getUserWorkspace(db, principal.user.id, workspaceId);
    actor = { userId: principal.user.id, apiTokenId: null };
  } else {
    const { grant } = principal;
    if (grant.workspaceId !== workspaceId) return notFound();
    if (need.peopleOnly) return { refused: tokensRefused() };
    if (need.mutation && grant.scope === 'read') {
      return {
        refused: new TRPCError({ code: 'FORBIDDEN', message: 'This API token is read-only' }),
      };
    }
    workspace = await getWorkspaceAs(db, workspaceId, TOKEN_ROLES[grant.scope]);
    actor = { userId: grant.createdBy, apiTokenId: grant.id };
  }
  if (!workspace) return notFound();
  if (!roleAtLeast(workspace.role, need.minRole)) {
    const message = `This needs the ${need.minRole} role; you are ${workspace.role}`;
    return { refused: new TRPCError({ code: 'FORBIDDEN', message }) };
  }
  return { workspace, actor };
}
