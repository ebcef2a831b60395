import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { searchOutput } from '../outputs.js';
import { searchTasks } from '../queries/search.js';
import { workspaceInput, workspaceProcedure } from '../trpc.js';

export const searchRouter = {
  /**
   * Full-text search over task titles, descriptions and comments (viewers and tokens);
   * whatever `q` holds (quotes, `*`, NEAR, parentheses) is searched for as words.
   */
  tasks: workspaceProcedure('viewer')
    .input(
      workspaceInput
        .extend({
          q: z.string().min(1).max(200),
          limit: z.number().int().min(1).max(50).default(20),
        })
        .strict(),
    )
    .output(searchOutput)
    .query(async ({ ctx, input }) => ({
      items: await searchTasks(ctx.db, ctx.workspace.id, input.q, input.limit),
    })),
} satisfies TRPCRouterRecord;
