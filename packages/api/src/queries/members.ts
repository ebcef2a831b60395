import type { Database, Kysely, Role } from '@trellis/db';

/** A workspace member as clients see them. */
export interface MemberView {
  userId: string;
  name: string;
  email: string;
  role: Role;
  joinedAt: string;
}

function members(db: Kysely<Database>, workspaceId: string) {
  return db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select([
      'users.id as userId',
      'users.name',
      'users.email',
      'memberships.role',
      'memberships.created_at as joinedAt',
    ])
    .where('memberships.workspace_id', '=', workspaceId);
}

/** A workspace's members, longest-standing first. */
export function listMembers(db: Kysely<Database>, workspaceId: string): Promise<MemberView[]> {
  return members(db, workspaceId).orderBy('memberships.created_at').orderBy('users.id').execute();
}

/** One member of a workspace, or undefined. */
export function getMember(
  db: Kysely<Database>,
  workspaceId: string,
  userId: string,
): Promise<MemberView | undefined> {
  return members(db, workspaceId).where('memberships.user_id', '=', userId).executeTakeFirst();
}

/** True when the user with this (normalized) email is a member of the workspace. */
export async function isMemberByEmail(
  db: Kysely<Database>,
  workspaceId: string,
  email: string,
): Promise<boolean> {
  const row = await members(db, workspaceId).where('users.email', '=', email).executeTakeFirst();
  return row !== undefined;
}

/** How many owners the workspace has besides `userId`. */
export async function otherOwnerCount(
  db: Kysely<Database>,
  workspaceId: string,
  userId: string,
): Promise<number> {
  const { count } = await db
    .selectFrom('memberships')
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .where('workspace_id', '=', workspaceId)
    .where('role', '=', 'owner')
    .where('user_id', '!=', userId)
    .executeTakeFirstOrThrow();
  return Number(count);
}

/**
 * Takes the workspace's write lock for the rest of the transaction (a no-op update), so
 * that two owners demoting each other at once cannot both pass the last-owner check.
 */
export async function lockWorkspace(db: Kysely<Database>, workspaceId: string): Promise<void> {
  await db
    .updateTable('workspaces')
    .set((eb) => ({ updated_at: eb.ref('updated_at') }))
    .where('id', '=', workspaceId)
    .execute();
}

/** Withdraws a pending invite (the row goes: its token then matches nothing). */
export async function deletePendingInvite(
  db: Kysely<Database>,
  workspaceId: string,
  inviteId: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom('invites')
    .where('id', '=', inviteId)
    .where('workspace_id', '=', workspaceId)
    .where('accepted_at', 'is', null)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}
