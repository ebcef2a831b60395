import {
  type Database,
  type Kysely,
  type TaskStatus,
  type TaskUpdate,
  withoutIndexHint,
} from '@trellis/db';
import type { z } from 'zod';
import type { taskOutput } from '../outputs.js';
import { importedReminderMarkers } from './reminders.js';

/** A task as clients see it. `key` is the project key and number, e.g. `ENG-12`. */
export type TaskView = z.output<typeof taskOutput>;

/**
 * The given tasks of a workspace as clients see them, in the order of `taskIds` (ids that
 * are missing or belong to another workspace are left out). Two queries whatever the
 * count: the tasks with their project keys, then all their labels.
 */
export async function loadTaskViews(
  db: Kysely<Database>,
  workspaceId: string,
  taskIds: readonly string[],
): Promise<TaskView[]> {
  if (taskIds.length === 0) return [];
  const rows = await db
    .selectFrom('tasks')
    .innerJoin('projects', 'projects.id', 'tasks.project_id')
    .select([
      'tasks.id',
      'tasks.workspace_id as workspaceId',
      'tasks.project_id as projectId',
      'tasks.number',
      'projects.key as projectKey',
      'tasks.title',
      'tasks.description',
      'tasks.status',
      'tasks.state_id as stateId',
      'tasks.priority',
      'tasks.assignee_id as assigneeId',
      'tasks.due_at as dueAt',
      'tasks.version',
      'tasks.created_by as createdBy',
      'tasks.created_at as createdAt',
      'tasks.updated_at as updatedAt',
      'tasks.completed_at as completedAt',
      'tasks.parent_id as parentId',
    ])
    // By id first: SQLite's unary + keeps its planner from preferring a workspace-wide
    // index scan (which it may, without table statistics) over 50 primary-key lookups.
    .where(withoutIndexHint(db, 'tasks.workspace_id'), '=', workspaceId)
    .where('tasks.id', 'in', taskIds)
    .execute();
  const labels = await db
    .selectFrom('task_labels')
    .select(['task_id', 'label'])
    .where(withoutIndexHint(db, 'workspace_id'), '=', workspaceId)
    .where('task_id', 'in', taskIds)
    .orderBy('label')
    .execute();
  const labelsByTask = new Map<string, string[]>();
  for (const { task_id, label } of labels) {
    const list = labelsByTask.get(task_id) ?? [];
    list.push(label);
    labelsByTask.set(task_id, list);
  }
  const byId = new Map(
    rows.map(({ projectKey, parentId, ...row }) => [
      row.id,
      {
        ...row,
        key: `${projectKey}-${row.number}`,
        labels: labelsByTask.get(row.id) ?? [],
        parentId,
      },
    ]),
  );
  return taskIds.flatMap((id) => {
    const view = byId.get(id);
    return view ? [view] : [];
  });
}

/** The fields clients edit, in TaskView terms (task.updated's `changes` covers these). */
export const EDITABLE_TASK_FIELDS = [
  'title',
  'description',
  'status',
  'stateId',
  'priority',
  'assigneeId',
  'labels',
  'dueAt',
  'parentId',
] as const satisfies ReadonlyArray<keyof TaskView>;

/** Some of a task's editable fields, with their new values. */
export type TaskPatch = Partial<Pick<TaskView, (typeof EDITABLE_TASK_FIELDS)[number]>>;

/** A new task row (it starts at version 1) and its labels. */
export interface NewTaskRow {
  id: string;
  workspaceId: string;
  projectId: string;
  number: number;
  title: string;
  description: string;
  status: TaskStatus;
  stateId: string;
  priority: number;
  assigneeId: string | null;
  dueAt: string | null;
  labels: readonly string[];
  parentId: string | null;
  createdBy: string;
  at: string;
}

/** Inserts a task and its labels; call it inside the transaction that allocated `number`. */
export function insertTask(db: Kysely<Database>, task: NewTaskRow): Promise<void> {
  return insertTasks(db, [task]);
}

/**
 * Inserts tasks and their labels, two statements for all of them (imports). With
 * `remindedAt` (imports), a due date already past then counts as reminded: no flood of
 * overdue reminders for imported history.
 */
export async function insertTasks(
  db: Kysely<Database>,
  tasks: readonly NewTaskRow[],
  { remindedAt }: { remindedAt?: string } = {},
): Promise<void> {
  if (tasks.length === 0) return;
  await db
    .insertInto('tasks')
    .values(
      tasks.map((task) => ({
        id: task.id,
        workspace_id: task.workspaceId,
        project_id: task.projectId,
        number: task.number,
        title: task.title,
        description: task.description,
        status: task.status,
        state_id: task.stateId,
        priority: task.priority,
        assignee_id: task.assigneeId,
        due_at: task.dueAt,
        created_by: task.createdBy,
        created_at: task.at,
        updated_at: task.at,
        completed_at: task.status === 'done' ? task.at : null,
        parent_id: task.parentId,
        ...(remindedAt !== undefined && importedReminderMarkers(task.dueAt, remindedAt)),
      })),
    )
    .execute();
  // A new task has no labels yet: nothing to delete first.
  const labels = tasks.flatMap((task) =>
    task.labels.map((label) => ({ task_id: task.id, workspace_id: task.workspaceId, label })),
  );
  if (labels.length > 0) await db.insertInto('task_labels').values(labels).execute();
}

/** Replaces a task's labels with `labels` (already trimmed and de-duplicated). */
export async function setTaskLabels(
  db: Kysely<Database>,
  workspaceId: string,
  taskId: string,
  labels: readonly string[],
): Promise<void> {
  await db
    .deleteFrom('task_labels')
    .where('workspace_id', '=', workspaceId)
    .where('task_id', '=', taskId)
    .execute();
  if (labels.length === 0) return;
  await db
    .insertInto('task_labels')
    .values(labels.map((label) => ({ task_id: taskId, workspace_id: workspaceId, label })))
    .execute();
}

/**
 * Takes the write lock on a task (a no-op update) before the transaction reads it, so that
 * what it reads cannot change before it writes. With `version`, only a task still at that
 * version counts. True when the task exists (at that version) in the workspace.
 */
export async function lockTask(
  db: Kysely<Database>,
  workspaceId: string,
  taskId: string,
  version?: number,
): Promise<boolean> {
  let query = db
    .updateTable('tasks')
    .set((eb) => ({ version: eb.ref('version') }))
    .where('id', '=', taskId)
    .where('workspace_id', '=', workspaceId);
  if (version !== undefined) query = query.where('version', '=', version);
  const result = await query.executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Writes a patch and bumps the version, only if the task is still at `expectedVersion`;
 * `completed_at` follows the status into and out of `done`. False when the task is not
 * at that version (someone else changed it, or it is gone): nothing was written.
 */
export async function updateTask(
  db: Kysely<Database>,
  workspaceId: string,
  taskId: string,
  expectedVersion: number,
  patch: TaskPatch,
  at: string,
): Promise<boolean> {
  const { labels, assigneeId, dueAt, status, parentId, stateId, ...same } = patch;
  const columns: TaskUpdate = { ...same, updated_at: at };
  if (stateId !== undefined) columns.state_id = stateId;
  if (assigneeId !== undefined) columns.assignee_id = assigneeId;
  if (parentId !== undefined) columns.parent_id = parentId;
  if (dueAt !== undefined) columns.due_at = dueAt;
  if (status !== undefined) {
    columns.status = status;
    columns.completed_at = status === 'done' ? at : null;
  }
  const result = await db
    .updateTable('tasks')
    .set((eb) => ({ ...columns, version: eb('version', '+', 1) }))
    .where('id', '=', taskId)
    .where('workspace_id', '=', workspaceId)
    .where('version', '=', expectedVersion)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) return false;
  if (labels !== undefined) await setTaskLabels(db, workspaceId, taskId, labels);
  return true;
}

/** Deletes a task (its labels and comments cascade); false when it was not there. */
export async function deleteTask(
  db: Kysely<Database>,
  workspaceId: string,
  taskId: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom('tasks')
    .where('id', '=', taskId)
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** True when the user may be assigned tasks in the workspace: any member, any role. */
export async function isAssignable(
  db: Kysely<Database>,
  workspaceId: string,
  userId: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('memberships')
    .select('user_id')
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row !== undefined;
}

/** A task of the workspace with the project it is in (what its activity rows name), or undefined. */
export function findTaskProject(
  db: Kysely<Database>,
  workspaceId: string,
  taskId: string,
): Promise<{ id: string; projectId: string } | undefined> {
  return db
    .selectFrom('tasks')
    .select(['id', 'project_id as projectId'])
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', taskId)
    .executeTakeFirst();
}

/** A task's place in its tree: its parent and project (undefined when not in the workspace). */
export function taskLink(
  db: Kysely<Database>,
  workspaceId: string,
  taskId: string,
): Promise<{ id: string; projectId: string; parentId: string | null } | undefined> {
  return db
    .selectFrom('tasks')
    .select(['id', 'project_id as projectId', 'parent_id as parentId'])
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', taskId)
    .executeTakeFirst();
}

/** The ids of the workspace's tasks whose parent is one of `parentIds`. */
export async function childIds(
  db: Kysely<Database>,
  workspaceId: string,
  parentIds: readonly string[],
): Promise<string[]> {
  if (parentIds.length === 0) return [];
  const rows = await db
    .selectFrom('tasks')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('parent_id', 'in', parentIds)
    .execute();
  return rows.map((row) => row.id);
}

/** A task's parent as tasks.get shows it, and how many sub-tasks it has, and how many done. */
export async function taskFamily(db: Kysely<Database>, task: TaskView) {
  const parent =
    task.parentId === null
      ? undefined
      : await db
          .selectFrom('tasks')
          .innerJoin('projects', 'projects.id', 'tasks.project_id')
          .select(['tasks.id', 'tasks.number', 'tasks.title', 'projects.key as projectKey'])
          .where('tasks.workspace_id', '=', task.workspaceId)
          .where('tasks.id', '=', task.parentId)
          .executeTakeFirst();
  const counts = await db
    .selectFrom('tasks')
    .select((eb) => [
      eb.fn.countAll<number | string | bigint>().as('total'),
      eb.fn
        .sum<number | string | bigint | null>(
          eb.case().when('status', '=', 'done').then(1).else(0).end(),
        )
        .as('done'),
    ])
    .where('workspace_id', '=', task.workspaceId)
    .where('parent_id', '=', task.id)
    .executeTakeFirstOrThrow();
  return {
    parent: parent
      ? { id: parent.id, key: `${parent.projectKey}-${parent.number}`, title: parent.title }
      : null,
    children: { total: Number(counts.total), done: Number(counts.done ?? 0) },
  };
}
