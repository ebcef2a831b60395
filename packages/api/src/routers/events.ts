import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { fieldError } from '../errors.js';
import { toEvent } from '../events.js';
import { eventPageOutput, LOG_EVENT_TYPES } from '../outputs.js';
import { eventRow, eventRows } from '../queries/events.js';
import { zId } from '../schemas.js';
import { workspaceInput, workspaceProcedure } from '../trpc.js';

// Pull as well as push: the events webhooks deliver, read in log order by programs that
// prefer to catch up on their own (after an outage, or instead of a public URL).

export const eventsRouter = {
  /** Viewers and API tokens: the workspace's events after `after` (an event id), oldest first. */
  list: workspaceProcedure('viewer')
    .input(
      workspaceInput
        .extend({
          after: zId.optional(),
          types: z
            .array(z.enum(LOG_EVENT_TYPES))
            .min(1, 'List at least one event type, or omit it for every type')
            .max(LOG_EVENT_TYPES.length)
            .optional(),
          limit: z.number().int().min(1).max(100).default(50),
        })
        .strict(),
    )
    .output(eventPageOutput)
    .query(async ({ ctx, input }) => {
      const workspaceId = ctx.workspace.id;
      let after = 0;
      if (input.after !== undefined) {
        const from = await eventRow(ctx.db, workspaceId, input.after);
        if (!from) throw fieldError('after', 'Unknown event id: pass one this workspace issued');
        after = from.position;
      }
      const rows = await eventRows(ctx.db, workspaceId, {
        after,
        types: input.types,
        limit: input.limit + 1,
      });
      return {
        items: rows.slice(0, input.limit).map(toEvent),
        hasMore: rows.length > input.limit,
      };
    }),
} satisfies TRPCRouterRecord;
