import type { TRPCRouterRecord } from '@trpc/server';

export const activityRouter = {} satisfies TRPCRouterRecord;
