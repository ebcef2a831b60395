import { isForeignKeyViolation } from '@trellis/db';
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { locate } from '../locate.js';
import { watchingOutput } from '../outputs.js';
import { findTaskProject } from '../queries/tasks.js';
import { addWatchers, removeWatcher } from '../queries/watchers.js';
import { zId } from '../schemas.js';
import { taskNotFound } from '../task-edit.js';
import { workspaceUserProcedure } from '../trpc.js';

// tasks.watch / tasks.unwatch: a person (never an API token: watching fills an inbox, and
// a token has none) starts or stops hearing of a task's comments and state changes.
// Viewers may watch: hearing of a task is reading it. Neither is logged: nobody else needs
// to know who watches what. Both are idempotent and answer whether the caller now watches.

const watchInput = z.object({ taskId: zId }).strict();

export const taskWatchersRouter = {
  watch: workspaceUserProcedure('viewer', locate.task)
    .input(watchInput)
    .output(watchingOutput)
    .mutation(async ({ ctx, input }) => {
      const workspaceId = ctx.workspace.id;
      await ctx.db
        .transaction()
        .execute(async (trx) => {
          if (!(await findTaskProject(trx, workspaceId, input.taskId))) throw taskNotFound();
          await addWatchers(trx, workspaceId, input.taskId, [ctx.user.id], ctx.now());
        })
        .catch((error: unknown) => {
          // Deleted between the check and the insert (PostgreSQL).
          throw isForeignKeyViolation(error) ? taskNotFound() : error;
        });
      return { watching: true };
    }),

  unwatch: workspaceUserProcedure('viewer', locate.task)
    .input(watchInput)
    .output(watchingOutput)
    .mutation(async ({ ctx, input }) => {
      await removeWatcher(ctx.db, ctx.workspace.id, input.taskId, ctx.user.id);
      return { watching: false };
    }),
} satisfies TRPCRouterRecord;
