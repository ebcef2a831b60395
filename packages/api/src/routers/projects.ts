import type { TRPCRouterRecord } from '@trpc/server';

export const projectsRouter = {} satisfies TRPCRouterRecord;
