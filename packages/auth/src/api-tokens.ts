import type { ApiTokenScope, Database, Kysely } from '@trellis/db';
import { isoNow } from '@trellis/db';
import { issueToken, parseToken, secretMatches } from './tokens.js';

/** Every API token starts with this, so that a leaked one is recognisable. */
export const API_TOKEN_PREFIX = 'trl_';

/** `last_used_at` is written at most this often, so that using a token stays a read. */
const LAST_USED_RESOLUTION_MS = 60 * 1000;

/** An API token as its workspace's admins see it: never its secret. */
export interface ApiTokenInfo {
  id: string;
  workspaceId: string;
  name: string;
  scope: ApiTokenScope;
  createdBy: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** What a valid token lets its bearer do. */
export interface ApiTokenGrant {
  id: string;
  workspaceId: string;
  scope: ApiTokenScope;
  /** The admin who created it; the token acts on their behalf. */
  createdBy: string;
}

/** True when a bearer credential looks like an API token (rather than a session). */
export function isApiToken(token: string): boolean {
  return token.startsWith(API_TOKEN_PREFIX);
}

/** Creates a token; the returned `token` is the only copy of its secret. */
export async function createApiToken(
  db: Kysely<Database>,
  input: {
    workspaceId: string;
    name: string;
    scope: ApiTokenScope;
    createdBy: string;
    expiresAt: Date | null;
  },
  now: Date = new Date(),
): Promise<{ token: string; info: ApiTokenInfo }> {
  const issued = issueToken(API_TOKEN_PREFIX);
  const info: ApiTokenInfo = {
    id: issued.id,
    workspaceId: input.workspaceId,
    name: input.name,
    scope: input.scope,
    createdBy: input.createdBy,
    createdAt: isoNow(now),
    expiresAt: input.expiresAt ? isoNow(input.expiresAt) : null,
    lastUsedAt: null,
    revokedAt: null,
  };
  await db
    .insertInto('api_tokens')
    .values({
      id: info.id,
      workspace_id: info.workspaceId,
      name: info.name,
      scope: info.scope,
      secret_hash: issued.secretHash,
      created_by: info.createdBy,
      created_at: info.createdAt,
      expires_at: info.expiresAt,
    })
    .execute();
  return { token: issued.token, info };
}

/**
 * Resolves a token to what it grants, or null when it is unknown, revoked, expired, or
 * its creator is no longer an admin or owner of the workspace: a token never outlives
 * the authority of the person who made it. (Losing that role revokes the creator's
 * tokens for good, `revokeApiTokensCreatedBy`; the role check here is the second line,
 * for any path that changes a membership without it.) Records use at most once a minute.
 */
export async function validateApiToken(
  db: Kysely<Database>,
  token: string,
  now: Date = new Date(),
): Promise<ApiTokenGrant | null> {
  const parsed = parseToken(API_TOKEN_PREFIX, token);
  if (!parsed) return null;
  const row = await db
    .selectFrom('api_tokens')
    .innerJoin('memberships', (join) =>
      join
        .onRef('memberships.workspace_id', '=', 'api_tokens.workspace_id')
        .onRef('memberships.user_id', '=', 'api_tokens.created_by'),
    )
    .select([
      'api_tokens.id',
      'api_tokens.workspace_id',
      'api_tokens.scope',
      'api_tokens.created_by',
      'api_tokens.secret_hash',
      'api_tokens.expires_at',
      'api_tokens.last_used_at',
      'api_tokens.revoked_at',
      'memberships.role as creatorRole',
    ])
    .where('api_tokens.id', '=', parsed.id)
    .executeTakeFirst();
  if (!row || !secretMatches(parsed.secret, row.secret_hash)) return null;
  if (row.revoked_at !== null) return null;
  if (row.expires_at !== null && Date.parse(row.expires_at) <= now.getTime()) return null;
  if (row.creatorRole !== 'owner' && row.creatorRole !== 'admin') return null;

  if (
    row.last_used_at === null ||
    now.getTime() - Date.parse(row.last_used_at) >= LAST_USED_RESOLUTION_MS
  ) {
    await db
      .updateTable('api_tokens')
      .set({ last_used_at: isoNow(now) })
      .where('id', '=', row.id)
      .execute();
  }
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    scope: row.scope,
    createdBy: row.created_by,
  };
}

/** A workspace's tokens, newest first, revoked ones included (for the audit trail). */
export async function listApiTokens(
  db: Kysely<Database>,
  workspaceId: string,
): Promise<ApiTokenInfo[]> {
  return db
    .selectFrom('api_tokens')
    .select([
      'id',
      'workspace_id as workspaceId',
      'name',
      'scope',
      'created_by as createdBy',
      'created_at as createdAt',
      'expires_at as expiresAt',
      'last_used_at as lastUsedAt',
      'revoked_at as revokedAt',
    ])
    .where('workspace_id', '=', workspaceId)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .execute();
}

/** A token revoked because its creator lost the right to hold it. */
export interface RevokedApiToken {
  id: string;
  workspaceId: string;
  name: string;
}

/**
 * Revokes, for good, every live token `userId` created (in one workspace, or in all of
 * them): for a creator who stops being an admin or owner, or an account taken over by the
 * real owner of its email. Revoked rather than left to fail the creator-role check in
 * `validateApiToken`, so that a later re-promotion does not bring the tokens back.
 * Returns what was revoked, for the activity log; call it inside the change's transaction.
 */
export async function revokeApiTokensCreatedBy(
  db: Kysely<Database>,
  userId: string,
  { workspaceId, now = new Date() }: { workspaceId?: string; now?: Date } = {},
): Promise<RevokedApiToken[]> {
  let update = db
    .updateTable('api_tokens')
    .set({ revoked_at: isoNow(now) })
    .where('created_by', '=', userId)
    .where('revoked_at', 'is', null);
  if (workspaceId !== undefined) update = update.where('workspace_id', '=', workspaceId);
  const revoked = await update.returning(['id', 'workspace_id as workspaceId', 'name']).execute();
  // RETURNING order is unspecified: sort so activity entries come out the same every time.
  return revoked.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Revokes a live token of this workspace; false if there is no such live token. */
export async function revokeApiToken(
  db: Kysely<Database>,
  workspaceId: string,
  tokenId: string,
  now: Date = new Date(),
): Promise<boolean> {
  const result = await db
    .updateTable('api_tokens')
    .set({ revoked_at: isoNow(now) })
    .where('id', '=', tokenId)
    .where('workspace_id', '=', workspaceId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
