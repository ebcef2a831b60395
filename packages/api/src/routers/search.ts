import type { TRPCRouterRecord } from '@trpc/server';

export const searchRouter = {} satisfies TRPCRouterRecord;
