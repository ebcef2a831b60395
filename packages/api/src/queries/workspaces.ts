import type { Database, Kysely, Role } from '@trellis/db';
import type { z } from 'zod';
import type { workspaceOutput } from '../outputs.js';
import { insertMembership } from './members.js';

/** A workspace as clients see it, with the caller's role. */
export type WorkspaceView = z.output<typeof workspaceOutput>;

function memberWorkspaces(db: Kysely<Database>, userId: string) {
  return db
    .selectFrom('memberships')
    .innerJoin('workspaces', 'workspaces.id', 'memberships.workspace_id')
    .select([
      'workspaces.id',
      'workspaces.name',
      'workspaces.slug',
      'memberships.role',
      'workspaces.created_at as createdAt',
      'workspaces.updated_at as updatedAt',
    ])
    .where('memberships.user_id', '=', userId);
}

/** The workspaces a user belongs to, oldest membership first. */
export function listUserWorkspaces(db: Kysely<Database>, userId: string): Promise<WorkspaceView[]> {
  return memberWorkspaces(db, userId)
    .orderBy('memberships.created_at')
    .orderBy('workspaces.id')
    .execute();
}

/** One workspace seen by one member, or undefined if they are not a member. */
export function getUserWorkspace(
  db: Kysely<Database>,
  userId: string,
  workspaceId: string,
): Promise<WorkspaceView | undefined> {
  return memberWorkspaces(db, userId)
    .where('memberships.workspace_id', '=', workspaceId)
    .executeTakeFirst();
}

/** A workspace seen with a given role (how API tokens see theirs), or undefined. */
export async function getWorkspaceAs(
  db: Kysely<Database>,
  workspaceId: string,
  role: Role,
): Promise<WorkspaceView | undefined> {
  const row = await db
    .selectFrom('workspaces')
    .select(['id', 'name', 'slug', 'created_at as createdAt', 'updated_at as updatedAt'])
    .where('id', '=', workspaceId)
    .executeTakeFirst();
  return row && { ...row, role };
}

/**
 * Creates a workspace with `ownerId` as its owner; call it inside a transaction, so that
 * a taken slug (a unique violation) leaves neither row behind.
 */
export async function insertWorkspace(
  db: Kysely<Database>,
  workspace: { id: string; name: string; slug: string },
  ownerId: string,
  at: string,
): Promise<void> {
  await db
    .insertInto('workspaces')
    .values({ ...workspace, created_at: at, updated_at: at })
    .execute();
  await insertMembership(db, { workspaceId: workspace.id, userId: ownerId, role: 'owner', at });
}

/** Renames a workspace. */
export async function renameWorkspace(
  db: Kysely<Database>,
  workspaceId: string,
  name: string,
  at: string,
): Promise<void> {
  await db
    .updateTable('workspaces')
    .set({ name, updated_at: at })
    .where('id', '=', workspaceId)
    .execute();
}

/** Deletes a workspace; its memberships, projects and tasks go with it (ON DELETE CASCADE). */
export async function deleteWorkspace(db: Kysely<Database>, workspaceId: string): Promise<void> {
  await db.deleteFrom('workspaces').where('id', '=', workspaceId).execute();
}

/**
 * The workspace a project, task or comment belongs to, or undefined when there is no such
 * row: how procedures addressed by one of those find the workspace to check access in.
 */
export async function workspaceIdOf(
  db: Kysely<Database>,
  table: 'projects' | 'project_states' | 'tasks' | 'comments' | 'webhooks',
  id: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom(table)
    .select('workspace_id')
    .where('id', '=', id)
    .executeTakeFirst();
  return row?.workspace_id;
}

/** The workspace of a webhook delivery (through its endpoint), or undefined. */
export async function workspaceIdOfDelivery(
  db: Kysely<Database>,
  deliveryId: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('webhook_deliveries')
    .innerJoin('webhooks', 'webhooks.id', 'webhook_deliveries.webhook_id')
    .select('webhooks.workspace_id')
    .where('webhook_deliveries.id', '=', deliveryId)
    .executeTakeFirst();
  return row?.workspace_id;
}
