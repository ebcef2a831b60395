import {
  accountStatus,
  issueToken,
  normalizeEmail,
  parseToken,
  secretMatches,
} from '@trellis/auth';
import { isoNow, isUniqueViolation, type Role } from '@trellis/db';
import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import type { Actor } from '../access.js';
import { lockWorkspaceForWrite, recordActivity } from '../activity.js';
import { inviteCreatedOutput, inviteOutput, membershipOutput, okOutput } from '../outputs.js';
import { lockWorkspace } from '../queries/activity.js';
import {
  consumeInvite,
  deletePendingInvite,
  findInvite,
  listPendingInvites,
  replacePendingInvite,
} from '../queries/invites.js';
import { getMember, insertMembership, isMemberByEmail } from '../queries/members.js';
import { enforceRateLimits } from '../rate-limits.js';
import { roleAtLeast } from '../roles.js';
import { zEmail, zId, zRole } from '../schemas.js';
import { protectedProcedure, workspaceInput, workspaceUserProcedure } from '../trpc.js';

// Served as members.invite, members.invites, members.revokeInvite and members.acceptInvite
// (root.ts merges this router into members'): the paths are older than this file.

/** Invite tokens start with this, so that a leaked one is recognisable. */
const INVITE_PREFIX = 'tri_';
const INVITE_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;

const inviteNotFound = (message = 'Invite not found') =>
  new TRPCError({ code: 'NOT_FOUND', message });

export const invitesRouter = {
  invite: workspaceUserProcedure('admin')
    .input(workspaceInput.extend({ email: zEmail, role: zRole }).strict())
    .output(inviteCreatedOutput)
    .mutation(async ({ ctx, input }) => {
      if (input.role === 'owner' && ctx.workspace.role !== 'owner') {
        throw new TRPCError({ code: 'FORBIDDEN', message: 'Only owners can invite owners' });
      }
      await enforceRateLimits(ctx, [
        { key: `invite:workspace:${ctx.workspace.id}`, rule: 'invitesPerWorkspace' },
      ]);
      const email = normalizeEmail(input.email);
      const now = ctx.now();
      const issued = issueToken(INVITE_PREFIX);
      const expiresAt = isoNow(new Date(now.getTime() + INVITE_LIFETIME_MS));
      await ctx.db.transaction().execute(async (trx) => {
        // Invites to one workspace take turns (see replacePendingInvite).
        await lockWorkspace(trx, ctx.workspace.id);
        if (await isMemberByEmail(trx, ctx.workspace.id, email)) {
          throw new TRPCError({ code: 'CONFLICT', message: `${email} is already a member` });
        }
        await replacePendingInvite(trx, {
          id: issued.id,
          workspaceId: ctx.workspace.id,
          email,
          role: input.role,
          secretHash: issued.secretHash,
          invitedBy: ctx.user.id,
          at: isoNow(now),
          expiresAt,
        });
      });
      return { inviteId: issued.id, inviteToken: issued.token, email, role: input.role, expiresAt };
    }),

  invites: workspaceUserProcedure('admin')
    .input(workspaceInput.strict())
    .output(z.array(inviteOutput))
    .query(({ ctx }) => listPendingInvites(ctx.db, ctx.workspace.id, isoNow(ctx.now()))),

  revokeInvite: workspaceUserProcedure('admin')
    .input(workspaceInput.extend({ inviteId: zId }).strict())
    .output(okOutput)
    .mutation(async ({ ctx, input }) => {
      if (!(await deletePendingInvite(ctx.db, ctx.workspace.id, input.inviteId))) {
        throw inviteNotFound();
      }
      return { ok: true as const };
    }),

  acceptInvite: protectedProcedure
    .input(z.object({ inviteToken: z.string().min(1).max(200) }).strict())
    .output(membershipOutput)
    .mutation(async ({ ctx, input }) => {
      const parsed = parseToken(INVITE_PREFIX, input.inviteToken.trim());
      if (!parsed) throw inviteNotFound();
      const now = ctx.now();
      const outcome = await ctx.db.transaction().execute(async (trx) => {
        const invite = await findInvite(trx, parsed.id);
        if (!invite || !secretMatches(parsed.secret, invite.secret_hash)) throw inviteNotFound();
        if (invite.accepted_at !== null) throw inviteNotFound('This invite has already been used');
        if (Date.parse(invite.expires_at) <= now.getTime()) {
          throw inviteNotFound('This invite has expired; ask for a new one');
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
        // one in force until this commits, not one a concurrent removal is replacing. The
        // time of joining is taken under it (see lockWorkspaceForWrite).
        const at = await lockWorkspaceForWrite(trx, invite.workspace_id, ctx.now);
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
        const joinedAt = isoNow(at);
        if (!(await consumeInvite(trx, invite.id, ctx.user.id, joinedAt))) {
          throw inviteNotFound('This invite has already been used');
        }
        const actor: Actor = { userId: ctx.user.id, apiTokenId: null };
        const membership = {
          workspaceId: invite.workspace_id,
          userId: ctx.user.id,
          role: invite.role,
        };
        await insertMembership(trx, { ...membership, at: joinedAt }).catch((error: unknown) => {
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
            data: {
              userId: ctx.user.id,
              name: ctx.user.name,
              role: invite.role,
              member: {
                userId: ctx.user.id,
                name: ctx.user.name,
                email: ctx.user.email,
                handle: (await getMember(trx, invite.workspace_id, ctx.user.id))?.handle ?? '',
                role: invite.role,
                joinedAt,
              },
            },
          },
          at,
        );
        return {
          withdrawn: false as const,
          membership: {
            ...membership,
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
} satisfies TRPCRouterRecord;
