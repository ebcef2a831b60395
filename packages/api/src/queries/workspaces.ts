import type { Database, Kysely, Role } from '@trellis/db';

/** A workspace as clients see it, with the caller's role. */
export interface WorkspaceView {
  id: string;
  name: string;
  slug: string;
  role: Role;
  createdAt: string;
  updatedAt: string;
}

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
