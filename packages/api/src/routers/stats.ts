import type { TRPCRouterRecord } from '@trpc/server';
import { statsOverview } from '../queries/stats.js';
import { workspaceInput, workspaceProcedure } from '../trpc.js';

export const statsRouter = {
  /** Viewers and API tokens: the dashboard's counts, computed by SQL aggregates. */
  overview: workspaceProcedure('viewer')
    .input(workspaceInput.strict())
    .query(({ ctx }) => statsOverview(ctx.db, ctx.workspace.id, ctx.now())),
} satisfies TRPCRouterRecord;
