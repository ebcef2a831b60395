import type { TRPCRouterRecord } from '@trpc/server';
import { statsOutput } from '../outputs.js';
import { statsOverview } from '../queries/stats.js';
import { workspaceInput, workspaceProcedure } from '../trpc.js';

export const statsRouter = {
  /** Viewers and API tokens: the dashboard's counts, computed by SQL aggregates. */
  overview: workspaceProcedure('viewer')
    .input(workspaceInput.strict())
    .output(statsOutput)
    .query(({ ctx }) =>
      ctx.config.statsCache
        ? ctx.config.statsCache.overview(ctx.db, ctx.workspace.id, ctx.now())
        : statsOverview(ctx.db, ctx.workspace.id, ctx.now()),
    ),
} satisfies TRPCRouterRecord;
