import {
  type Database,
  isoNow,
  isUniqueViolation,
  type Kysely,
  newId,
  type Role,
} from '@trellis/db';
import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import type { Actor } from '../access.js';
import { changedFields, recordActivity, writeInWorkspace } from '../activity.js';
import { fieldError } from '../errors.js';
import { locate } from '../locate.js';
import { viewOutput } from '../outputs.js';
import { getProject } from '../queries/projects.js';
import {
  countOwnViews,
  deleteView,
  getView,
  insertView,
  listViews,
  updateView,
  type ViewView,
} from '../queries/views.js';
import { roleAtLeast } from '../roles.js';
import { zId, zName } from '../schemas.js';
import {
  filterProblems,
  type TaskListFilters,
  taskListFilters,
  taskListSort,
} from '../task-filters.js';
import { workspaceInput, workspaceProcedure } from '../trpc.js';

// Saved views: tasks.list's filters and sort under a name, owned by the member who saved
// them. A personal view is its owner's alone: to anyone else it does not exist (NOT_FOUND,
// never its name or filters), and it records no activity, so no event, webhook or
// activity reader learns of it. Shared views are seen by every member and their changes
// are events; the events follow the set of shared views: sharing a view is view.created,
// unsharing it view.deleted (the view as it was while shared).

/** The most views one member keeps in a workspace. */
export const MAX_VIEWS_PER_MEMBER = 100;

const viewInput = z.object({ viewId: zId });

const viewNotFound = () => new TRPCError({ code: 'NOT_FOUND', message: 'View not found' });
const nameTaken = (name: string) =>
  new TRPCError({ code: 'CONFLICT', message: `You already have a view named ${name}` });
const forbidden = (message: string) => new TRPCError({ code: 'FORBIDDEN', message });

/**
 * A view's project must be one of the workspace's, as tasks.list would find it (there, a
 * project of another workspace is NOT_FOUND); a field error under `filters`.
 */
async function checkFilterProject(
  db: Kysely<Database>,
  workspaceId: string,
  filters: TaskListFilters | undefined,
): Promise<void> {
  if (filters?.projectId === undefined) return;
  if (await getProject(db, workspaceId, filters.projectId)) return;
  throw fieldError(['filters', 'projectId'], 'Must be a project of this workspace');
}

/** Cross-field checks of a view's filters, as field errors under `filters`. */
function checkFilters(filters: TaskListFilters | undefined): void {
  const [problem] = filters ? filterProblems(filters) : [];
  if (problem) throw fieldError(['filters', problem.path], problem.message);
}

/** Sharing is for members and above (a viewer's views are their own). */
function mayShare(role: Role): void {
  if (!roleAtLeast(role, 'member')) {
    throw forbidden('Sharing a view needs the member role; save it as a personal view');
  }
}

/** The view if the caller may see it: theirs, or shared. NOT_FOUND otherwise. */
async function visibleView(
  db: Kysely<Database>,
  workspaceId: string,
  viewId: string,
  actor: Actor,
): Promise<ViewView> {
  const view = await getView(db, workspaceId, viewId);
  if (!view || (!view.shared && view.ownerId !== actor.userId)) throw viewNotFound();
  return view;
}

/** The owner changes their view; an admin may also change or delete a shared one. */
function mayChange(view: ViewView, actor: Actor, role: Role): void {
  if (view.ownerId === actor.userId) return;
  if (!roleAtLeast(role, 'admin')) {
    throw forbidden('Only the view’s owner or an admin can change a shared view');
  }
}

function recordViewEvent(
  trx: Kysely<Database>,
  by: { actor: Actor; at: Date },
  type: 'view.created' | 'view.updated' | 'view.deleted',
  view: ViewView,
  changes?: Record<string, unknown>,
) {
  const data = changes === undefined ? { ...view } : { ...view, changes };
  return recordActivity(trx, { workspaceId: view.workspaceId, actor: by.actor, type, data }, by.at);
}

/** Runs a view write; the unique index decides a race between two of the same name. */
async function guardName<T>(name: string | undefined, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    throw isUniqueViolation(error) && name !== undefined ? nameTaken(name) : error;
  }
}

const CHANGED = ['name', 'shared', 'filters', 'sort', 'order'] as const;

export const viewsRouter = {
  // Any member, viewers included, saves personal views; sharing needs member.
  create: workspaceProcedure('viewer')
    .input(
      workspaceInput
        .extend({
          name: zName,
          shared: z.boolean().default(false),
          filters: taskListFilters,
          ...taskListSort,
        })
        .strict(),
    )
    .output(viewOutput)
    .mutation(({ ctx, input }) => {
      checkFilters(input.filters);
      if (input.shared) mayShare(ctx.workspace.role);
      const workspaceId = ctx.workspace.id;
      return guardName(input.name, () =>
        writeInWorkspace(ctx.db, workspaceId, ctx.now, async (trx, time) => {
          await checkFilterProject(trx, workspaceId, input.filters);
          if ((await countOwnViews(trx, workspaceId, ctx.actor.userId)) >= MAX_VIEWS_PER_MEMBER) {
            throw new TRPCError({
              code: 'CONFLICT',
              message: `You have ${MAX_VIEWS_PER_MEMBER} views in this workspace, the most one member keeps; delete one first`,
            });
          }
          const at = isoNow(time);
          const view: ViewView = {
            id: newId(),
            workspaceId,
            name: input.name,
            shared: input.shared,
            ownerId: ctx.actor.userId,
            filters: input.filters,
            sort: input.sort,
            order: input.order,
            createdAt: at,
            updatedAt: at,
          };
          await insertView(trx, view);
          if (view.shared) {
            await recordViewEvent(trx, { actor: ctx.actor, at: time }, 'view.created', view);
          }
          return view;
        }),
      );
    }),

  list: workspaceProcedure('viewer')
    .input(workspaceInput.strict())
    .output(z.array(viewOutput))
    .query(({ ctx }) => listViews(ctx.db, ctx.workspace.id, ctx.actor.userId)),

  get: workspaceProcedure('viewer', locate.view)
    .input(viewInput.strict())
    .output(viewOutput)
    .query(({ ctx, input }) => visibleView(ctx.db, ctx.workspace.id, input.viewId, ctx.actor)),

  update: workspaceProcedure('viewer', locate.view)
    .input(
      viewInput
        .extend({
          name: zName.optional(),
          shared: z.boolean().optional(),
          filters: taskListFilters.optional(),
          sort: taskListSort.sort.unwrap().optional(),
          order: taskListSort.order.unwrap().optional(),
        })
        .strict(),
    )
    .output(viewOutput)
    .mutation(({ ctx, input }) => {
      checkFilters(input.filters);
      const workspaceId = ctx.workspace.id;
      return guardName(input.name, () =>
        writeInWorkspace(ctx.db, workspaceId, ctx.now, async (trx, time) => {
          const { actor } = ctx;
          const before = await visibleView(trx, workspaceId, input.viewId, actor);
          mayChange(before, actor, ctx.workspace.role);
          await checkFilterProject(trx, workspaceId, input.filters);
          const { viewId: _, ...patch } = input;
          const after: ViewView = {
            ...before,
            ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)),
          };
          if (after.shared !== before.shared && before.ownerId !== actor.userId) {
            throw forbidden('Only the view’s owner can share or unshare it');
          }
          if (after.shared) mayShare(ctx.workspace.role);
          const changes = changedFields(before, after, [...CHANGED]);
          if (Object.keys(changes).length === 0) return before;
          after.updatedAt = isoNow(time);
          await updateView(trx, after);
          const by = { actor, at: time };
          if (before.shared && after.shared) {
            await recordViewEvent(trx, by, 'view.updated', after, changes);
          } else if (after.shared) {
            await recordViewEvent(trx, by, 'view.created', after);
          } else if (before.shared) {
            await recordViewEvent(trx, by, 'view.deleted', before);
          }
          return after;
        }),
      );
    }),

  delete: workspaceProcedure('viewer', locate.view)
    .input(viewInput.strict())
    .output(viewOutput)
    .mutation(({ ctx, input }) => {
      const workspaceId = ctx.workspace.id;
      return writeInWorkspace(ctx.db, workspaceId, ctx.now, async (trx, time) => {
        const view = await visibleView(trx, workspaceId, input.viewId, ctx.actor);
        mayChange(view, ctx.actor, ctx.workspace.role);
        await deleteView(trx, workspaceId, view.id);
        if (view.shared) {
          await recordViewEvent(trx, { actor: ctx.actor, at: time }, 'view.deleted', view);
        }
        return view;
      });
    }),
} satisfies TRPCRouterRecord;
