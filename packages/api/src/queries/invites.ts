import type { Database, Kysely, Role } from '@trellis/db';
import type { z } from 'zod';
import type { inviteOutput } from '../outputs.js';

/** A pending invite as admins see it (never its token). */
export type InviteView = z.output<typeof inviteOutput>;

/** A new invite row; only the hash of its secret is kept. */
export interface NewInvite {
  id: string;
  workspaceId: string;
  /** Normalized. */
  email: string;
  role: Role;
  secretHash: string;
  invitedBy: string;
  at: string;
  expiresAt: string;
}

/**
 * Stores an invite in place of any pending one to the same address. Call it inside a
 * transaction holding the workspace lock: two at once for one address would each delete
 * the other's (uncommitted, unseen) pending row and both insert.
 */
export async function replacePendingInvite(db: Kysely<Database>, invite: NewInvite): Promise<void> {
  await db
    .deleteFrom('invites')
    .where('workspace_id', '=', invite.workspaceId)
    .where('email', '=', invite.email)
    .where('accepted_at', 'is', null)
    .execute();
  await db
    .insertInto('invites')
    .values({
      id: invite.id,
      workspace_id: invite.workspaceId,
      email: invite.email,
      role: invite.role,
      secret_hash: invite.secretHash,
      invited_by: invite.invitedBy,
      created_at: invite.at,
      expires_at: invite.expiresAt,
    })
    .execute();
}

/** A workspace's invites that can still be accepted at `now`, newest first. */
export function listPendingInvites(
  db: Kysely<Database>,
  workspaceId: string,
  now: string,
): Promise<InviteView[]> {
  return db
    .selectFrom('invites')
    .select([
      'id',
      'email',
      'role',
      'invited_by as invitedBy',
      'created_at as createdAt',
      'expires_at as expiresAt',
    ])
    .where('workspace_id', '=', workspaceId)
    .where('accepted_at', 'is', null)
    .where('expires_at', '>', now)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .execute();
}

/** An invite by its id, whatever its state, with the workspace it opens; or undefined. */
export function findInvite(db: Kysely<Database>, inviteId: string) {
  return db
    .selectFrom('invites')
    .innerJoin('workspaces', 'workspaces.id', 'invites.workspace_id')
    .select([
      'invites.id',
      'invites.workspace_id',
      'invites.email',
      'invites.role',
      'invites.secret_hash',
      'invites.invited_by',
      'invites.expires_at',
      'invites.accepted_at',
      'workspaces.name',
      'workspaces.slug',
    ])
    .where('invites.id', '=', inviteId)
    .executeTakeFirst();
}

/**
 * Marks an invite used by `userId`; false when it already was (by a concurrent accept).
 * Call it in the transaction that creates the membership: both or neither.
 */
export async function consumeInvite(
  db: Kysely<Database>,
  inviteId: string,
  userId: string,
  at: string,
): Promise<boolean> {
  const result = await db
    .updateTable('invites')
    .set({ accepted_at: at, accepted_by: userId })
    .where('id', '=', inviteId)
    .where('accepted_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
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
