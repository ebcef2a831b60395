import type { Database, Kysely, Role } from '@trellis/db';
import type { z } from 'zod';
import type { memberOutput } from '../outputs.js';

/** A workspace member as clients see them. */
export type MemberView = z.output<typeof memberOutput>;

function members(db: Kysely<Database>, workspaceId: string) {
  return db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select([
      'users.id as userId',
      'users.name',
      'users.email',
      'users.handle',
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

/** Makes `userId` a member with `role`; a unique violation when they already are one. */
export async function insertMembership(
  db: Kysely<Database>,
  membership: { workspaceId: string; userId: string; role: Role; at: string },
): Promise<void> {
  await db
    .insertInto('memberships')
    .values({
      workspace_id: membership.workspaceId,
      user_id: membership.userId,
      role: membership.role,
      created_at: membership.at,
    })
    .execute();
}

/** Gives a member another role. */
export async function setMemberRole(
  db: Kysely<Database>,
  workspaceId: string,
  userId: string,
  role: Role,
): Promise<void> {
  await db
    .updateTable('memberships')
    .set({ role })
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', userId)
    .execute();
}

/** Ends a membership. */
export async function deleteMembership(
  db: Kysely<Database>,
  workspaceId: string,
  userId: string,
): Promise<void> {
  await db
    .deleteFrom('memberships')
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', userId)
    .execute();
}
