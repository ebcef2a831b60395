import { revokeApiTokensCreatedBy } from '@trellis/auth';
import type { Database, Kysely, Role } from '@trellis/db';
import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import type { Actor } from '../access.js';
import { type Clock, recordActivity, writeInWorkspace } from '../activity.js';
import { memberOutput, okOutput } from '../outputs.js';
import {
  deleteMembership,
  getMember,
  listMembers,
  type MemberView,
  otherOwnerCount,
  setMemberRole,
} from '../queries/members.js';
import { roleAtLeast } from '../roles.js';
import { zId, zRole } from '../schemas.js';
import { workspaceInput, workspaceProcedure, workspaceUserProcedure } from '../trpc.js';

// Invites (members.invite, members.invites, members.revokeInvite, members.acceptInvite)
// live in ./invites.ts; root.ts serves both routers under `members`.

const memberInput = workspaceInput.extend({ userId: zId });

const lastOwner = () =>
  new TRPCError({
    code: 'CONFLICT',
    message: 'A workspace needs at least one owner; make someone else owner first',
  });
const memberNotFound = () => new TRPCError({ code: 'NOT_FOUND', message: 'Member not found' });
const ownersOnly = (what: string) =>
  new TRPCError({ code: 'FORBIDDEN', message: `Only owners can ${what}` });

/**
 * Checks, inside a transaction holding the workspace lock, that `actorRole` may change
 * `target`, and that the workspace keeps an owner if the target stops being one.
 */
async function guardMemberChange(
  trx: Kysely<Database>,
  workspaceId: string,
  actorRole: Role,
  target: MemberView,
  newRole: Role | null,
): Promise<void> {
  if (actorRole !== 'owner' && target.role === 'owner') throw ownersOnly('change owners');
  if (actorRole !== 'owner' && newRole === 'owner') throw ownersOnly('make someone an owner');
  if (target.role === 'owner' && newRole !== 'owner') {
    if ((await otherOwnerCount(trx, workspaceId, target.userId)) === 0) throw lastOwner();
  }
}

/** Why a member's API tokens were revoked, as the activity log records it. */
type TokenRevocationReason = 'creator_role_changed' | 'creator_removed' | 'creator_left';

/**
 * Inside a membership change's transaction: when `target` stops being an admin or owner
 * (`newRole` below admin, or null for leaving the workspace), revokes every live API token
 * they created in it, for good, with an activity entry per token. A suspension that a
 * re-promotion lifted would hand a token back to someone who was judged unfit to hold it.
 */
async function revokeTokensOfDemoted(
  trx: Kysely<Database>,
  by: { actor: Actor; now: Date },
  workspaceId: string,
  target: MemberView,
  newRole: Role | null,
  reason: TokenRevocationReason,
): Promise<void> {
  if (newRole !== null && roleAtLeast(newRole, 'admin')) return;
  const revoked = await revokeApiTokensCreatedBy(trx, target.userId, {
    workspaceId,
    now: by.now,
  });
  for (const token of revoked) {
    const data = {
      tokenId: token.id,
      name: token.name,
      createdBy: { userId: target.userId, name: target.name },
      reason,
    };
    await recordActivity(
      trx,
      { workspaceId, actor: by.actor, type: 'api_token.revoked', data },
      by.now,
    );
  }
}

/** Removes a membership under the same rules as a role change to "nothing". */
async function removeMember(
  db: Kysely<Database>,
  caller: { actor: Actor; role: Role; clock: Clock },
  workspaceId: string,
  userId: string,
): Promise<void> {
  // The workspace's lock also makes member changes take turns: two owners demoting each
  // other at once cannot both pass the last-owner check.
  await writeInWorkspace(db, workspaceId, caller.clock, async (trx, now) => {
    const by = { ...caller, now };
    const target = await getMember(trx, workspaceId, userId);
    if (!target) throw memberNotFound();
    await guardMemberChange(trx, workspaceId, by.role, target, null);
    await deleteMembership(trx, workspaceId, userId);
    const left = userId === by.actor.userId;
    const type = left ? 'member.left' : 'member.removed';
    const data = { userId, name: target.name, role: target.role, member: target };
    await recordActivity(trx, { workspaceId, actor: by.actor, type, data }, by.now);
    const reason = left ? 'creator_left' : 'creator_removed';
    await revokeTokensOfDemoted(trx, by, workspaceId, target, null, reason);
  });
}

export const membersRouter = {
  list: workspaceProcedure('viewer')
    .input(workspaceInput.strict())
    .output(z.array(memberOutput))
    .query(({ ctx }) => listMembers(ctx.db, ctx.workspace.id)),

  updateRole: workspaceUserProcedure('admin')
    .input(memberInput.extend({ role: zRole }).strict())
    .output(memberOutput)
    .mutation(({ ctx, input }) =>
      writeInWorkspace(ctx.db, ctx.workspace.id, ctx.now, async (trx, now): Promise<MemberView> => {
        const target = await getMember(trx, ctx.workspace.id, input.userId);
        if (!target) throw memberNotFound();
        await guardMemberChange(trx, ctx.workspace.id, ctx.workspace.role, target, input.role);
        await setMemberRole(trx, ctx.workspace.id, input.userId, input.role);
        if (target.role !== input.role) {
          const by = { actor: ctx.actor, now };
          await recordActivity(
            trx,
            {
              workspaceId: ctx.workspace.id,
              actor: ctx.actor,
              type: 'member.role_changed',
              data: {
                userId: target.userId,
                name: target.name,
                changes: { role: { from: target.role, to: input.role } },
                member: { ...target, role: input.role },
              },
            },
            by.now,
          );
          const { id } = ctx.workspace;
          await revokeTokensOfDemoted(trx, by, id, target, input.role, 'creator_role_changed');
        }
        return { ...target, role: input.role };
      }),
    ),

  remove: workspaceUserProcedure('admin')
    .input(memberInput.strict())
    .output(okOutput)
    .mutation(async ({ ctx, input }) => {
      const by = { actor: ctx.actor, role: ctx.workspace.role, clock: ctx.now };
      await removeMember(ctx.db, by, ctx.workspace.id, input.userId);
      return { ok: true as const };
    }),

  leave: workspaceUserProcedure('viewer')
    .input(workspaceInput.strict())
    .output(okOutput)
    .mutation(async ({ ctx }) => {
      const by = { actor: ctx.actor, role: ctx.workspace.role, clock: ctx.now };
      await removeMember(ctx.db, by, ctx.workspace.id, ctx.user.id);
      return { ok: true as const };
    }),
} satisfies TRPCRouterRecord;
