import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { importJobOutput } from '../outputs.js';
import { zId } from '../schemas.js';
import { protectedProcedure } from '../trpc.js';
import { getImportJob, importJobView } from './jobs.js';

// Import jobs belong to the person who started them (for a token's import, the token's
// creator): an account-level read, like auth.sessions.list. Anyone else is told the job
// does not exist.
export const importsRouter = {
  get: protectedProcedure
    .input(z.object({ jobId: zId }).strict())
    .output(importJobOutput)
    .query(async ({ ctx, input }) => {
      const row = await getImportJob(ctx.db, input.jobId);
      if (!row || row.user_id !== ctx.user.id) {
        throw new TRPCError({ code: 'NOT_FOUND', message: 'Import job not found' });
      }
      return importJobView(row);
    }),
} satisfies TRPCRouterRecord;
