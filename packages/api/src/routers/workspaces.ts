import { isoNow, isUniqueViolation, newId } from '@trellis/db';
import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { okOutput, workspaceOutput } from '../outputs.js';
import {
  deleteWorkspace,
  insertWorkspace,
  listUserWorkspaces,
  renameWorkspace,
  type WorkspaceView,
} from '../queries/workspaces.js';
import { zName, zSlug } from '../schemas.js';
import {
  protectedProcedure,
  workspaceInput,
  workspaceProcedure,
  workspaceUserProcedure,
} from '../trpc.js';

const slugTaken = () =>
  new TRPCError({ code: 'CONFLICT', message: 'A workspace with this slug already exists' });

export const workspacesRouter = {
  create: protectedProcedure
    .input(z.object({ name: zName, slug: zSlug }).strict())
    .output(workspaceOutput)
    .mutation(async ({ ctx, input }): Promise<WorkspaceView> => {
      const now = isoNow(ctx.now());
      const workspace = { id: newId(), name: input.name, slug: input.slug };
      try {
        await ctx.db
          .transaction()
          .execute((trx) => insertWorkspace(trx, workspace, ctx.user.id, now));
      } catch (error) {
        throw isUniqueViolation(error) ? slugTaken() : error;
      }
      return { ...workspace, role: 'owner', createdAt: now, updatedAt: now };
    }),

  list: protectedProcedure
    .output(z.array(workspaceOutput))
    .query(({ ctx }) => listUserWorkspaces(ctx.db, ctx.user.id)),

  get: workspaceProcedure('viewer')
    .input(workspaceInput.strict())
    .output(workspaceOutput)
    .query(({ ctx }) => ctx.workspace),

  update: workspaceUserProcedure('owner')
    .input(workspaceInput.extend({ name: zName.optional() }).strict())
    .output(workspaceOutput)
    .mutation(async ({ ctx, input }): Promise<WorkspaceView> => {
      if (input.name === undefined) return ctx.workspace;
      const updatedAt = isoNow(ctx.now());
      await renameWorkspace(ctx.db, ctx.workspace.id, input.name, updatedAt);
      return { ...ctx.workspace, name: input.name, updatedAt };
    }),

  delete: workspaceUserProcedure('owner')
    .input(workspaceInput.strict())
    .output(okOutput)
    .mutation(async ({ ctx }) => {
      await deleteWorkspace(ctx.db, ctx.workspace.id);
      return { ok: true as const };
    }),
} satisfies TRPCRouterRecord;
