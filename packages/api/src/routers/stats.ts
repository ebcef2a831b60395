import type { TRPCRouterRecord } from '@trpc/server';

export const statsRouter = {} satisfies TRPCRouterRecord;
