import { type Database, isoNow, type Kysely, STATUS_OF_CATEGORY } from '@trellis/db';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import type { Actor } from '../access.js';
import { recordActivity, writeInWorkspace } from '../activity.js';
import { locate } from '../locate.js';
import { taskOutput } from '../outputs.js';
import { getProject } from '../queries/projects.js';
import { getState, listStates, stateForStatus } from '../queries/states.js';
import { loadTaskViews, type TaskView } from '../queries/tasks.js';
import {
  existingUserIds,
  findTrashed,
  liveTaskIds,
  parkRelations,
  restoreRelations,
  restoreTaskRows,
  type TrashedRows,
  type TrashedTask,
  type TrashedTaskView,
  type TrashPosition,
  trashedWith,
  trashPage,
} from '../queries/trash.js';
import { zId } from '../schemas.js';
import { taskNotFound } from '../task-edit.js';
import { workspaceProcedure } from '../trpc.js';

// The trash's procedures: tasks.restore here, and the trash list that tasks.list answers
// with `trashed: true` (./tasks-list.ts hands it over). tasks.delete moves tasks in.

/**
 * Trashed tasks in the order they go back: each after its parent (a parent restored in the
 * same call comes first).
 */
function parentsFirst(tasks: readonly TrashedTask[]): TrashedTask[] {
  const pending = new Map(tasks.map((task) => [task.taskId, task]));
  const ordered: TrashedTask[] = [];
  while (pending.size > 0) {
    const ready = [...pending.values()].filter((task) => {
      const parentId = task.rows.task.parent_id;
      return parentId === null || !pending.has(parentId);
    });
    // A loop cannot be stored (parents are checked on every write); this only guards it.
    const next = ready.length > 0 ? ready : [...pending.values()];
    for (const task of next) {
      ordered.push(task);
      pending.delete(task.taskId);
    }
  }
  return ordered;
}

/**
 * The state a restored task goes into: its own, or when that was removed meanwhile, the
 * project's state for its status (the first of that category when there are several, the
 * project's first state when there is none).
 */
async function stateToRestore(
  db: Kysely<Database>,
  workspaceId: string,
  row: TrashedRows['task'],
): Promise<{ stateId: string; status: TrashedRows['task']['status'] }> {
  const own = await getState(db, workspaceId, row.state_id);
  if (own && own.projectId === row.project_id) return { stateId: own.id, status: row.status };
  const found = await stateForStatus(db, workspaceId, row.project_id, row.status);
  if ('id' in found) return { stateId: found.id, status: row.status };
  const all = await listStates(db, workspaceId, row.project_id);
  const category = (state: (typeof all)[number]) => STATUS_OF_CATEGORY[state.category];
  const state = all.find((candidate) => category(candidate) === row.status) ?? all[0];
  if (!state) throw new Error(`Project ${row.project_id} has no states`);
  return { stateId: state.id, status: category(state) };
}

/**
 * Puts trashed tasks back, parents first, each at version + 1 and updated at `at`; a user
 * they name who no longer exists becomes null (the creator, who cannot be null, becomes the
 * restorer); a parent that is neither live nor restored with them (purged) becomes none.
 * Relations come back when the task at their other end is live.
 */
async function restoreAll(
  trx: Kysely<Database>,
  workspaceId: string,
  tasks: readonly TrashedTask[],
  by: { actor: Actor; at: string },
): Promise<string[]> {
  const ordered = parentsFirst(tasks);
  const restoring = new Set(ordered.map((task) => task.taskId));
  const rows = ordered.map((task) => task.rows);
  const users = await existingUserIds(
    trx,
    rows.flatMap(({ task, comments }) => [
      ...(task.assignee_id === null ? [] : [task.assignee_id]),
      task.created_by,
      ...comments.flatMap((comment) => (comment.author_id === null ? [] : [comment.author_id])),
    ]),
  );
  const parents = rows.flatMap(({ task }) => (task.parent_id === null ? [] : [task.parent_id]));
  const liveParents = await liveTaskIds(trx, workspaceId, parents);
  const known = (userId: string | null) => (userId !== null && users.has(userId) ? userId : null);
  for (const { task, labels, comments } of rows) {
    const parentId = task.parent_id;
    const keepParent = parentId !== null && (restoring.has(parentId) || liveParents.has(parentId));
    const state = await stateToRestore(trx, workspaceId, task);
    const row = {
      ...task,
      state_id: state.stateId,
      status: state.status,
      completed_at: state.status === 'done' ? (task.completed_at ?? by.at) : null,
      assignee_id: known(task.assignee_id),
      created_by: known(task.created_by) ?? by.actor.userId,
      parent_id: keepParent ? parentId : null,
      version: task.version + 1,
      updated_at: by.at,
    };
    const authored = comments.map((comment) => ({
      ...comment,
      author_id: known(comment.author_id),
    }));
    await restoreTaskRows(trx, workspaceId, row, { labels, comments: authored });
  }
  const relations = rows.flatMap((row) => row.relations);
  const ends = relations.flatMap((relation) => [relation.task_id, relation.other_task_id]);
  const live = await liveTaskIds(trx, workspaceId, ends);
  const bothLive = (relation: (typeof relations)[number]) =>
    live.has(relation.task_id) && live.has(relation.other_task_id);
  await restoreRelations(trx, relations.filter(bothLive));
  // The other end still in the trash: the relation waits there for it.
  await parkRelations(
    trx,
    workspaceId,
    relations.filter((relation) => !bothLive(relation)),
  );
  return ordered.map((task) => task.taskId);
}

/**
 * tasks.restore (member+, write tokens): brings a task back from the trash with the tasks
 * trashed with it (its sub-tasks deleted by `cascade`), their labels, comments and
 * relations; same ids, keys and numbers. A sub-task whose parent is still in the trash is
 * refused (CONFLICT naming the parent). Into an archived project too. One `task.restored`
 * entry and event per task, parents first. Answers the restored task.
 */
export const restoreTask = workspaceProcedure('member', locate.trashedTask)
  .input(z.object({ taskId: zId }).strict())
  .output(taskOutput)
  .mutation(({ ctx, input }) => {
    const workspaceId = ctx.workspace.id;
    return writeInWorkspace(ctx.db, workspaceId, ctx.now, async (trx, at): Promise<TaskView> => {
      const task = await findTrashed(trx, workspaceId, input.taskId);
      if (!task) throw taskNotFound();
      const parentId = task.rows.task.parent_id;
      const parent = parentId === null ? undefined : await findTrashed(trx, workspaceId, parentId);
      if (parent) {
        const message = `Restore ${parent.view.key} first: ${task.view.key} is its sub-task, and ${parent.view.key} is in the trash too`;
        throw new TRPCError({ code: 'CONFLICT', message });
      }
      // Trashed with it: its sub-tasks (a sub-task deleted with its parent has that parent as
      // root, so this task is either the root or alone after a partial purge).
      const others = (await trashedWith(trx, workspaceId, task.taskId)).filter(
        (other) => other.taskId !== task.taskId,
      );
      const ids = await restoreAll(trx, workspaceId, [task, ...others], {
        actor: ctx.actor,
        at: isoNow(at),
      });
      const views = await loadTaskViews(trx, workspaceId, ids);
      for (const view of views) {
        const entry = {
          workspaceId,
          actor: ctx.actor,
          type: 'task.restored' as const,
          projectId: view.projectId,
          taskId: view.id,
          data: { task: view },
        };
        await recordActivity(trx, entry, at);
      }
      const restored = views.find((view) => view.id === task.taskId);
      if (!restored) throw taskNotFound();
      return restored;
    });
  });

/** What the trash list takes from tasks.list's input (its cursors hold deletion times). */
export interface TrashListInput {
  projectId?: string | undefined;
  after: { key: string | number; id: string } | null;
  limit: number;
}

/** Filters that do not apply to the trash: any given beside `trashed: true` is refused. */
const TRASH_LIST_FIELDS = new Set([
  'workspaceId',
  'projectId',
  'trashed',
  'sort',
  'order',
  'cursor',
  'direction',
  'limit',
]);

/**
 * What is wrong with a tasks.list input asking for the trash, as a field and a message, or
 * null: the trash takes `projectId` alone of the filters, in its own order (newest deletion
 * first), so `sort` and `order` keep their defaults.
 */
export function trashListProblem(
  input: Record<string, unknown>,
): { field: string; message: string } | null {
  for (const [field, value] of Object.entries(input)) {
    if (value === undefined || TRASH_LIST_FIELDS.has(field)) continue;
    return { field, message: 'The trash is filtered by projectId only' };
  }
  if (input.sort !== undefined && input.sort !== 'created') {
    return { field: 'sort', message: 'The trash lists the newest deletion first only' };
  }
  if (input.order !== undefined && input.order !== 'desc') {
    return { field: 'order', message: 'The trash lists the newest deletion first only' };
  }
  return null;
}

/**
 * One page of the trash and the cursor of the next (made by `cursorAt`); NOT_FOUND for a
 * project outside the workspace.
 */
export async function listTrashPage(
  db: Kysely<Database>,
  workspaceId: string,
  input: TrashListInput,
  cursorAt: (at: TrashPosition) => string,
): Promise<{ items: TrashedTaskView[]; nextCursor: string | null }> {
  if (input.projectId !== undefined && !(await getProject(db, workspaceId, input.projectId))) {
    throw new TRPCError({ code: 'NOT_FOUND', message: 'Project not found' });
  }
  const { after, projectId, limit } = input;
  const from = after && { key: String(after.key), id: after.id };
  const rows = await trashPage(db, workspaceId, { projectId, after: from, limit });
  const items = rows.slice(0, input.limit);
  const last = items.at(-1);
  const nextCursor =
    rows.length > input.limit && last ? cursorAt({ key: last.deletedAt, id: last.id }) : null;
  return { items, nextCursor };
}
