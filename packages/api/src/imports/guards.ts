import { z } from 'zod';
import { type Context, guardContext } from '../context.js';
import { zName, zSlug } from '../schemas.js';
import {
  createCallerFactory,
  protectedProcedure,
  router,
  workspaceInput,
  workspaceProcedure,
  workspaceUserProcedure,
} from '../trpc.js';

// The upload and download routes stream their bodies, which tRPC cannot, so they are
// plain HTTP routes in the server. Their access checks are these procedures, built like
// every other (same builders, same resolver, same errors), and called in-process with the
// request's context; they are not part of the router clients see.

const guards = router({
  /** workspaces.export: the workspace's admins (people only). */
  exportWorkspace: workspaceUserProcedure('admin')
    .input(workspaceInput.strict())
    .query(({ ctx }) => ({ id: ctx.workspace.id, slug: ctx.workspace.slug })),
  /** workspaces.import: any signed-in person (a token belongs to a workspace: not here). */
  importWorkspace: protectedProcedure
    .input(z.object({ name: zName.optional(), slug: zSlug.optional() }).strict())
    .mutation(({ ctx, input }) => ({ userId: ctx.user.id, ...input })),
  /** Importing into a workspace (tasks.csv): members and write tokens. */
  importIntoWorkspace: workspaceProcedure('member')
    .input(workspaceInput.strict())
    .mutation(({ ctx }) => ({ workspaceId: ctx.workspace.id, actor: ctx.actor })),
});

const callGuards = createCallerFactory(guards);

/** The caller as the guards see it (without `Idempotency-Key`: see guardContext). */
const guardCaller = (ctx: Context) => callGuards(guardContext(ctx));

/** Who may export `workspaceId`: throws the TRPCError the route answers with. */
export function authorizeExport(ctx: Context, workspaceId: string) {
  return guardCaller(ctx).exportWorkspace({ workspaceId });
}

/** Who imports a new workspace, with the `name` / `slug` the query string asked for. */
export function authorizeWorkspaceImport(ctx: Context, input: { name?: string; slug?: string }) {
  return guardCaller(ctx).importWorkspace(input);
}

/** Who imports into `workspaceId` (a member or a write token), and as whom it acts. */
export function authorizeImportInto(ctx: Context, workspaceId: string) {
  return guardCaller(ctx).importIntoWorkspace({ workspaceId });
}
