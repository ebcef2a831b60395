import { z } from 'zod';
import { type Context, guardContext } from '../context.js';
import { locate } from '../locate.js';
import { zId } from '../schemas.js';
import { createCallerFactory, router, workspaceProcedure } from '../trpc.js';

// The attachment routes stream their bodies (upload, download), which tRPC cannot, so they
// are plain HTTP routes in the server. Who may call them is decided here, by the same
// builders and resolver as every procedure, called in-process with the request's context;
// these are not part of the router clients see. A task in the trash is not found (404).

const taskInput = z.object({ taskId: zId }).strict();

const guards = router({
  /** Uploading to a task: members and write tokens. */
  upload: workspaceProcedure('member', locate.task)
    .input(taskInput)
    .mutation(({ ctx }) => ({ workspaceId: ctx.workspace.id, actor: ctx.actor })),
  /** Downloading a task's attachment: viewers and read tokens too. */
  read: workspaceProcedure('viewer', locate.task)
    .input(taskInput)
    .query(({ ctx }) => ({ workspaceId: ctx.workspace.id })),
});

const callGuards = createCallerFactory(guards);

/** The caller as the guards see it (without `Idempotency-Key`: see guardContext). */
const guardCaller = (ctx: Context) => callGuards(guardContext(ctx));

/** Who uploads to `taskId`, and as whom; throws the TRPCError the route answers with. */
export function authorizeUpload(ctx: Context, taskId: string) {
  return guardCaller(ctx).upload({ taskId });
}

/** Whether the caller may read `taskId`'s attachments; its workspace. */
export function authorizeRead(ctx: Context, taskId: string) {
  return guardCaller(ctx).read({ taskId });
}
