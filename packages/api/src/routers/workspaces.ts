import { isoNow, isUniqueViolation, newId } from '@trellis/db';
import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { okOutput, workspaceOutput } from '../outputs.js';
import { listUserWorkspaces, type WorkspaceView } from '../queries/workspaces.js';
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
        await ctx.db.transaction().execute(async (trx) => {
          await trx
            .insertInto('workspaces')
            .values({ ...workspace, created_at: now, updated_at: now })
            .execute();
          await trx
            .insertInto('memberships')
            .values({
              workspace_id: workspace.id,
              user_id: ctx.user.id,
              role: 'owner',
              created_at: now,
            })
            .execute();
        });
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
      await ctx.db
        .updateTable('workspaces')
        .set({ name: input.name, updated_at: updatedAt })
        .where('id', '=', ctx.workspace.id)
        .execute();
      return { ...ctx.workspace, name: input.name, updatedAt };
    }),

  delete: workspaceUserProcedure('owner')
    .input(workspaceInput.strict())
    .output(okOutput)
    .mutation(async ({ ctx }) => {
      // Memberships, projects and tasks go with it (ON DELETE CASCADE).
      await ctx.db.deleteFrom('workspaces').where('id', '=', ctx.workspace.id).execute();
      return { ok: true as const };
    }),
} satisfies TRPCRouterRecord;
