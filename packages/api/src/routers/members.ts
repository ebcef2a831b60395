import {
  accountStatus,
  issueToken,
  normalizeEmail,
  parseToken,
  revokeApiTokensCreatedBy,
  secretMatches,
} from '@trellis/auth';
import {
  type Database,
  isoNow,
  isUniqueViolation,
  type Kysely,
  ROLES,
  type Role,
} from '@trellis/db';
import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { recordActivity } from '../activity.js';
import {
  inviteCreatedOutput,
  inviteOutput,
  memberOutput,
  membershipOutput,
  okOutput,
} from '../outputs.js';
import {
  deletePendingInvite,
  getMember,
  isMemberByEmail,
  listMembers,
  lockWorkspace,
  type MemberView,
  otherOwnerCount,
} from '../queries/members.js';
import { enforceRateLimits } from '../rate-limits.js';
import { roleAtLeast } from '../roles.js';
import { zEmail, zId } from '../schemas.js';
import {
  type Actor,
  protectedProcedure,
  workspaceInput,
  workspaceProcedure,
  workspaceUserProcedure,
} from '../trpc.js';

/** Invite tokens start with this, so that a leaked one is recognisable. */
const INVITE_PREFIX = 'tri_';
const INVITE_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;

const zRole = z.enum(ROLES);
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
  by: { actor: Actor; role: Role; now: Date },
  workspaceId: string,
  userId: string,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await lockWorkspace(trx, workspaceId);
    const target = await getMember(trx, workspaceId, userId);
    if (!target) throw memberNotFound();
    await guardMemberChange(trx, workspaceId, by.role, target, null);
    await trx
      .deleteFrom('memberships')
      .where('workspace_id', '=', workspaceId)
      .where('user_id', '=', userId)
      .execute();
    const left = userId === by.actor.userId;
    const type = left ? 'member.left' : 'member.removed';
    const data = { userId, name: target.name, role: target.role };
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

  invite: workspaceUserProcedure('admin')
    .input(workspaceInput.extend({ email: zEmail, role: zRole }).strict())
    .output(inviteCreatedOutput)
    .mutation(async ({ ctx, input }) => {
      if (input.role === 'owner' && ctx.workspace.role !== 'owner') {
        throw ownersOnly('invite owners');
      }
      await enforceRateLimits(ctx, [
        { key: `invite:workspace:${ctx.workspace.id}`, rule: 'invitesPerWorkspace' },
      ]);
      const email = normalizeEmail(input.email);
      const now = ctx.now();
      const issued = issueToken(INVITE_PREFIX);
      const expiresAt = isoNow(new Date(now.getTime() + INVITE_LIFETIME_MS));
      await ctx.db.transaction().execute(async (trx) => {
        // Invites to one workspace take turns: two at once for the same address would
        // each delete the other's (uncommitted, unseen) pending row and both insert.
        await lockWorkspace(trx, ctx.workspace.id);
        if (await isMemberByEmail(trx, ctx.workspace.id, email)) {
          throw new TRPCError({ code: 'CONFLICT', message: `${email} is already a member` });
        }
        // A new invite replaces any pending one for the same address.
        await trx
          .deleteFrom('invites')
          .where('workspace_id', '=', ctx.workspace.id)
          .where('email', '=', email)
          .where('accepted_at', 'is', null)
          .execute();
        await trx
          .insertInto('invites')
          .values({
            id: issued.id,
            workspace_id: ctx.workspace.id,
            email,
            role: input.role,
            secret_hash: issued.secretHash,
            invited_by: ctx.user.id,
            created_at: isoNow(now),
            expires_at: expiresAt,
          })
          .execute();
      });
      return { inviteId: issued.id, inviteToken: issued.token, email, role: input.role, expiresAt };
    }),

  invites: workspaceUserProcedure('admin')
    .input(workspaceInput.strict())
    .output(z.array(inviteOutput))
    .query(({ ctx }) =>
      ctx.db
        .selectFrom('invites')
        .select([
          'id',
          'email',
          'role',
          'invited_by as invitedBy',
          'created_at as createdAt',
          'expires_at as expiresAt',
        ])
        .where('workspace_id', '=', ctx.workspace.id)
        .where('accepted_at', 'is', null)
        .where('expires_at', '>', isoNow(ctx.now()))
        .orderBy('created_at', 'desc')
        .orderBy('id')
        .execute(),
    ),

  revokeInvite: workspaceUserProcedure('admin')
    .input(workspaceInput.extend({ inviteId: zId }).strict())
    .output(okOutput)
    .mutation(async ({ ctx, input }) => {
      if (!(await deletePendingInvite(ctx.db, ctx.workspace.id, input.inviteId))) {
        throw new TRPCError({ code: 'NOT_FOUND', message: 'Invite not found' });
      }
      return { ok: true as const };
    }),

  acceptInvite: protectedProcedure
    .input(z.object({ inviteToken: z.string().min(1).max(200) }).strict())
    .output(membershipOutput)
    .mutation(async ({ ctx, input }) => {
      const parsed = parseToken(INVITE_PREFIX, input.inviteToken.trim());
      const notFound = (message = 'Invite not found') =>
        new TRPCError({ code: 'NOT_FOUND', message });
      if (!parsed) throw notFound();
      const now = ctx.now();
      const outcome = await ctx.db.transaction().execute(async (trx) => {
        const invite = await trx
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
          .where('invites.id', '=', parsed.id)
          .executeTakeFirst();
        if (!invite || !secretMatches(parsed.secret, invite.secret_hash)) throw notFound();
        if (invite.accepted_at !== null) throw notFound('This invite has already been used');
        if (Date.parse(invite.expires_at) <= now.getTime()) {
          throw notFound('This invite has expired; ask for a new one');
        }
        if (normalizeEmail(ctx.user.email) !== invite.email) {
          throw new TRPCError({
            code: 'FORBIDDEN',
            message: 'This invite was sent to a different email address',
          });
        }
        // The invite names an address; only someone who proved they own it may use it
        // (anyone can sign up with any address).
        if (!(await accountStatus(trx, ctx.user.id))?.emailVerified) {
          throw new TRPCError({
            code: 'FORBIDDEN',
            message:
              'Verify your email address first (open the link we mailed you, or ask for a new one), then accept the invite',
          });
        }
        // Member changes take the workspace lock too: the inviter's role read below is the
        // one in force until this commits, not one a concurrent removal is replacing.
        await lockWorkspace(trx, invite.workspace_id);
        // An invite carries its inviter's authority, so it must not outlive it: an admin
        // who was removed or demoted could otherwise still make someone an admin.
        const inviter =
          invite.invited_by === null
            ? undefined
            : await getMember(trx, invite.workspace_id, invite.invited_by);
        const needed: Role = invite.role === 'owner' ? 'owner' : 'admin';
        if (!inviter || !roleAtLeast(inviter.role, needed)) {
          // Withdrawn for good, in this transaction, which then commits (a throw here would
          // roll the withdrawal back); the refusal is thrown after the commit.
          await deletePendingInvite(trx, invite.workspace_id, invite.id);
          return { withdrawn: true as const };
        }
        // Consumed in the transaction that creates the membership: both or neither.
        const consumed = await trx
          .updateTable('invites')
          .set({ accepted_at: isoNow(now), accepted_by: ctx.user.id })
          .where('id', '=', invite.id)
          .where('accepted_at', 'is', null)
          .executeTakeFirst();
        if (consumed.numUpdatedRows === 0n) throw notFound('This invite has already been used');
        const joinedAt = isoNow(now);
        const actor: Actor = { userId: ctx.user.id, apiTokenId: null };
        await trx
          .insertInto('memberships')
          .values({
            workspace_id: invite.workspace_id,
            user_id: ctx.user.id,
            role: invite.role,
            created_at: joinedAt,
          })
          .execute()
          .catch((error: unknown) => {
            throw isUniqueViolation(error)
              ? new TRPCError({
                  code: 'CONFLICT',
                  message: 'You are already a member of this workspace',
                })
              : error;
          });
        await recordActivity(
          trx,
          {
            workspaceId: invite.workspace_id,
            actor,
            type: 'member.joined',
            data: { userId: ctx.user.id, name: ctx.user.name, role: invite.role },
          },
          now,
        );
        return {
          withdrawn: false as const,
          membership: {
            workspaceId: invite.workspace_id,
            userId: ctx.user.id,
            role: invite.role,
            joinedAt,
            workspace: { id: invite.workspace_id, name: invite.name, slug: invite.slug },
          },
        };
      });
      if (outcome.withdrawn) {
        throw new TRPCError({
          code: 'FORBIDDEN',
          message:
            'Whoever sent this invite may no longer invite to that role, so it was withdrawn; ask an admin of the workspace for a new one',
        });
      }
      return outcome.membership;
    }),

  updateRole: workspaceUserProcedure('admin')
    .input(memberInput.extend({ role: zRole }).strict())
    .output(memberOutput)
    .mutation(({ ctx, input }) =>
      ctx.db.transaction().execute(async (trx): Promise<MemberView> => {
        await lockWorkspace(trx, ctx.workspace.id);
        const target = await getMember(trx, ctx.workspace.id, input.userId);
        if (!target) throw memberNotFound();
        await guardMemberChange(trx, ctx.workspace.id, ctx.workspace.role, target, input.role);
        await trx
          .updateTable('memberships')
          .set({ role: input.role })
          .where('workspace_id', '=', ctx.workspace.id)
          .where('user_id', '=', input.userId)
          .execute();
        if (target.role !== input.role) {
          const by = { actor: ctx.actor, now: ctx.now() };
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
      const by = { actor: ctx.actor, role: ctx.workspace.role, now: ctx.now() };
      await removeMember(ctx.db, by, ctx.workspace.id, input.userId);
      return { ok: true as const };
    }),

  leave: workspaceUserProcedure('viewer')
    .input(workspaceInput.strict())
    .output(okOutput)
    .mutation(async ({ ctx }) => {
      const by = { actor: ctx.actor, role: ctx.workspace.role, now: ctx.now() };
      await removeMember(ctx.db, by, ctx.workspace.id, ctx.user.id);
      return { ok: true as const };
    }),
} satisfies TRPCRouterRecord;
