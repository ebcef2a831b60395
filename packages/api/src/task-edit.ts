// What every change to a task shares: the field schemas (create, update, bulk, import),
// the state a task is to be in, and one edit of one locked task with its log entry.
import {
  type Database,
  isoNow,
  type Kysely,
  STATUS_OF_CATEGORY,
  TASK_STATUSES,
  type TaskStatus,
} from '@trellis/db';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import type { Actor } from './access.js';
import { changedFields, recordActivity } from './activity.js';
import { fieldError } from './errors.js';
import { getState, type StateView, stateForStatus } from './queries/states.js';
import {
  EDITABLE_TASK_FIELDS,
  isAssignable,
  loadTaskViews,
  type TaskPatch,
  type TaskView,
  updateTask,
} from './queries/tasks.js';
import { trashTasks } from './queries/trash.js';
import { LABEL_MAX_LENGTH, zId, zInstant, zLine, zVerbatimText } from './schemas.js';
import { checkParent, descendantIds } from './task-tree.js';

// Titles and labels are single lines; descriptions are stored exactly as sent.
export const zTitle = zLine(200);
export const zDescription = zVerbatimText({ max: 20_000 });
export const MAX_LABELS = 20;
export const zLabels = z
  .array(zLine(LABEL_MAX_LENGTH))
  .max(MAX_LABELS)
  .transform((labels) => [...new Set(labels)]);
// Stored as UTC (`toISOString`) so that due dates sort as text like every timestamp.
export const zDueAt = zInstant;
export const zPriority = z.number().int().min(0).max(4);
export const zStatus = z.enum(TASK_STATUSES);

/** The fields tasks.update's `patch` may hold (tasks.bulkUpdate's adds label edits). */
export const taskPatchFields = {
  title: zTitle.optional(),
  description: zDescription.optional(),
  status: zStatus.optional(),
  stateId: zId.optional(),
  priority: zPriority.optional(),
  assigneeId: zId.nullable().optional(),
  labels: zLabels.optional(),
  dueAt: zDueAt.nullable().optional(),
  parentId: zId.nullable().optional(),
};

/** A patch as sent: state by id or status; labels replaced, or some added and removed. */
export interface PatchInput extends Omit<TaskPatch, 'status' | 'stateId'> {
  status?: TaskStatus | undefined;
  stateId?: string | undefined;
  addLabels?: string[] | undefined;
  removeLabels?: string[] | undefined;
}

export const taskNotFound = () => new TRPCError({ code: 'NOT_FOUND', message: 'Task not found' });

/**
 * Who makes a change, and when: one time for the rows and the log entry, taken under the
 * workspace's write lock (writeInWorkspace).
 */
export interface By {
  actor: Actor;
  at: Date;
}

/** Appends a task event in the change's transaction; `data.task` is `task` as given. */
export function recordTaskEvent(
  trx: Kysely<Database>,
  by: By,
  type: 'task.created' | 'task.updated' | 'task.deleted',
  task: TaskView,
  data: Record<string, unknown> = {},
) {
  const { workspaceId, projectId, id: taskId } = task;
  const entry = { workspaceId, actor: by.actor, type, projectId, taskId, data: { ...data, task } };
  return recordActivity(trx, entry, by.at);
}

/** One task as clients see it; NOT_FOUND when it is gone. */
export async function loadTask(db: Kysely<Database>, workspaceId: string, taskId: string) {
  const [task] = await loadTaskViews(db, workspaceId, [taskId]);
  if (!task) throw taskNotFound();
  return task;
}

/** Refuses an assignee who is not a member, as a field error on `path`. */
export async function requireAssignable(
  db: Kysely<Database>,
  workspaceId: string,
  userId: string,
  path: string[],
  prefix = '',
): Promise<void> {
  if (await isAssignable(db, workspaceId, userId)) return;
  throw fieldError(path, `${prefix}Must be a member of this workspace`);
}

/**
 * The state a task is to be in, from what the caller sent: `stateId` (a state of the task's
 * project), or `status` when it names one state of the project unambiguously (its only state
 * in the status's category), or both when they agree. `path` prefixes the field names;
 * `prefix` the messages (bulk changes name the task).
 */
export async function resolveState(
  db: Kysely<Database>,
  workspaceId: string,
  projectId: string,
  wanted: { stateId?: string | undefined; status?: TaskStatus | undefined },
  path: string[],
  prefix = '',
): Promise<StateView | undefined> {
  const { stateId, status } = wanted;
  if (stateId !== undefined) {
    const state = await getState(db, workspaceId, stateId);
    if (!state || state.projectId !== projectId) {
      throw fieldError([...path, 'stateId'], `${prefix}Must be a state of the task's project`);
    }
    if (status !== undefined && STATUS_OF_CATEGORY[state.category] !== status) {
      const message = `${prefix}Does not match state ${state.name} (category ${state.category}); send one of them`;
      throw fieldError([...path, 'status'], message);
    }
    return state;
  }
  if (status === undefined) return undefined;
  const state = await stateForStatus(db, workspaceId, projectId, status);
  if ('problem' in state) throw fieldError([...path, 'status'], `${prefix}${state.problem}`);
  return state;
}

/** The patch's fields that differ from the task (labels compared as sets). */
function differences(task: TaskView, patch: TaskPatch): TaskPatch {
  const differs = (key: keyof TaskPatch) => {
    if (key !== 'labels') return patch[key] !== task[key];
    const wanted = patch.labels ?? [];
    return wanted.length !== task.labels.length || wanted.some((l) => !task.labels.includes(l));
  };
  const keys = (Object.keys(patch) as (keyof TaskPatch)[]).filter(
    (key) => patch[key] !== undefined,
  );
  return Object.fromEntries(keys.filter(differs).map((key) => [key, patch[key]]));
}

/**
 * Applies a patch to a task the transaction has locked and read (`before`): resolves the
 * state, checks the assignee and parent, writes it (version + 1) and logs `task.updated`
 * with what changed. A patch that changes nothing is no edit: `before` comes back, with no
 * new version and no entry. Field errors name `path` + the field; `prefix` starts their
 * messages. Undefined when the task is no longer at `before.version` (nothing written).
 */
export async function editTask(
  trx: Kysely<Database>,
  by: By,
  before: TaskView,
  input: PatchInput,
  path: string[],
  prefix = '',
): Promise<TaskView | undefined> {
  const { workspaceId } = before;
  const { stateId, status, addLabels, removeLabels, ...rest } = input;
  const state = await resolveState(
    trx,
    workspaceId,
    before.projectId,
    { stateId, status },
    path,
    prefix,
  );
  const wanted: TaskPatch = state
    ? { ...rest, stateId: state.id, status: STATUS_OF_CATEGORY[state.category] }
    : rest;
  if (addLabels !== undefined || removeLabels !== undefined) {
    const labels = new Set(before.labels);
    for (const label of addLabels ?? []) labels.add(label);
    for (const label of removeLabels ?? []) labels.delete(label);
    if (labels.size > MAX_LABELS) {
      const message = `${prefix}A task has at most ${MAX_LABELS} labels; this would give it ${labels.size}`;
      throw fieldError([...path, 'addLabels'], message);
    }
    wanted.labels = [...labels];
  }
  const patch = differences(before, wanted);
  if (Object.keys(patch).length === 0) return before;
  if (patch.assigneeId) {
    await requireAssignable(trx, workspaceId, patch.assigneeId, [...path, 'assigneeId'], prefix);
  }
  if (patch.parentId) {
    await checkParent(trx, workspaceId, before, patch.parentId, [...path, 'parentId'], prefix);
  }
  const at = isoNow(by.at);
  if (!(await updateTask(trx, workspaceId, before.id, before.version, patch, at))) return undefined;
  const task = await loadTask(trx, workspaceId, before.id);
  const changes = changedFields<TaskPatch>(before, task, EDITABLE_TASK_FIELDS);
  await recordTaskEvent(trx, by, 'task.updated', task, { changes });
  return task;
}

/**
 * Moves a task the transaction has locked to the trash, with its sub-tasks: each is logged
 * as `task.deleted`, deepest first, the task itself last (tasks.restore brings them back
 * together). A task with sub-tasks is a CONFLICT unless `cascade`, or unless every one of
 * them is in `alsoNamed` (a bulk delete naming them too). Answers how many tasks went.
 */
export async function trashTask(
  trx: Kysely<Database>,
  by: By,
  task: TaskView,
  options: { cascade: boolean; alsoNamed?: ReadonlySet<string> },
): Promise<number> {
  const { workspaceId } = task;
  const below = await descendantIds(trx, workspaceId, task.id);
  const named = options.alsoNamed;
  const covered = named !== undefined && below.every((id) => named.has(id));
  if (below.length > 0 && !options.cascade && !covered) {
    const [count, them] =
      below.length === 1 ? ['1 sub-task', 'it'] : [`${below.length} sub-tasks`, 'them'];
    throw new TRPCError({
      code: 'CONFLICT',
      message: `Task ${task.key} has ${count}; delete ${them} first, or pass cascade: true to delete ${them} with it`,
    });
  }
  const gone = await loadTaskViews(trx, workspaceId, below);
  for (const view of gone) await recordTaskEvent(trx, by, 'task.deleted', view);
  await trashTasks(trx, {
    workspaceId,
    rootTaskId: task.id,
    views: [...gone, task],
    deletedBy: by.actor.userId,
    deletedAt: isoNow(by.at),
  });
  await recordTaskEvent(trx, by, 'task.deleted', task);
  return gone.length + 1;
}
