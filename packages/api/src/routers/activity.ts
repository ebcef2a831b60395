import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { zPageDirection } from '../cursor.js';
import { activityPageOutput } from '../outputs.js';
import { listActivity, zActivityCursor } from '../queries/activity.js';
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
    .query(({ ctx, input }) =>
      listActivity(ctx.db, ctx.workspace.id, {
        taskId: input.taskId,
        beforeSeq: input.cursor?.seq,
        limit: input.limit,
      }),
    ),
} satisfies TRPCRouterRecord;
