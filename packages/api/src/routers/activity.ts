import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { unknownPosition, zPageDirection } from '../cursor.js';
import { activityPageOutput } from '../outputs.js';
import { listActivity, pageEnd, zActivityCursor } from '../queries/activity.js';
import { zId } from '../schemas.js';
import { workspaceInput, workspaceProcedure } from '../trpc.js';

// The log is append-only: this router reads it and nothing ever edits or deletes an entry
// (they go only with their workspace, by cascade).

export const activityRouter = {
  /** Viewers and API tokens: who did what when, newest first, for the workspace or one task. */
  list: workspaceProcedure('viewer')
    .input(
      workspaceInput
        .extend({
          taskId: zId.optional(),
          cursor: zActivityCursor.optional(),
          direction: zPageDirection,
          limit: z.number().int().min(1).max(100).default(50),
        })
        .strict(),
    )
    .output(activityPageOutput)
    .query(async ({ ctx, input }) => {
      const before =
        input.cursor === undefined
          ? undefined
          : await pageEnd(ctx.db, ctx.workspace.id, input.cursor);
      if (input.cursor !== undefined && before === undefined) {
        throw unknownPosition('cursor', 'cursor');
      }
      return listActivity(ctx.db, ctx.workspace.id, {
        taskId: input.taskId,
        before,
        limit: input.limit,
      });
    }),
} satisfies TRPCRouterRecord;
