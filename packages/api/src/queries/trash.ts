import type { Database, Kysely } from '@trellis/db';
import type { Selectable } from 'kysely';
import type { z } from 'zod';
import type { trashedTaskOutput } from '../outputs.js';
import { deleteTask, type TaskView } from './tasks.js';

// The trash (migration 0014): a deleted task's rows move out of `tasks`, `task_labels`,
// `comments` and `task_relations` into one `trashed_tasks` row each, as JSON, and move back
// on a restore. Live-task queries never see the trash, so they need no filter.

type Row<T extends keyof Database> = Selectable<Database[T]>;

/** What brings a trashed task back: its rows as they were in their tables. */
export interface TrashedRows {
  task: Row<'tasks'>;
  labels: Row<'task_labels'>[];
  comments: Row<'comments'>[];
  /** Its relations from either side (a relation between two trashed tasks is in both). */
  relations: Row<'task_relations'>[];
  /** Who watched it, and whom its description and comments mention (absent in rows
   * trashed before these existed). */
  watchers?: Row<'task_watchers'>[];
  taskMentions?: Row<'task_mentions'>[];
  commentMentions?: Row<'comment_mentions'>[];
}

/** A task in the trash, with what restores it. */
export interface TrashedTask {
  taskId: string;
  rootTaskId: string;
  /** The task as clients saw it when it was deleted. */
  view: TaskView;
  rows: TrashedRows;
}

/** A trash entry as tasks.list {trashed: true} shows it. */
export type TrashedTaskView = z.output<typeof trashedTaskOutput>;

// SQLite takes at most 32766 bound values per statement; trashed rows take 8 each.
const CHUNK = 500;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

function groupBy<T>(rows: readonly T[], keysOf: (row: T) => string[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    for (const key of keysOf(row)) {
      const list = groups.get(key) ?? [];
      list.push(row);
      groups.set(key, list);
    }
  }
  return groups;
}

/**
 * Moves tasks to the trash: writes a `trashed_tasks` row for each of `views` (each a task
 * of the workspace) with its raw rows, then deletes `rootTaskId` from `tasks` (its labels,
 * comments, relations and sub-tasks go by cascade, so `views` must hold all of those
 * sub-tasks). Call it in the deleting transaction, with the task locked.
 */
export async function trashTasks(
  db: Kysely<Database>,
  trash: {
    workspaceId: string;
    rootTaskId: string;
    views: readonly TaskView[];
    deletedBy: string | null;
    deletedAt: string;
  },
): Promise<void> {
  const { workspaceId, rootTaskId, views } = trash;
  for (const part of chunks(views)) {
    const ids = part.map((view) => view.id);
    const tasks = await db
      .selectFrom('tasks')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('id', 'in', ids)
      .execute();
    const labels = await db
      .selectFrom('task_labels')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('task_id', 'in', ids)
      .orderBy('label')
      .execute();
    const comments = await db
      .selectFrom('comments')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('task_id', 'in', ids)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    const relations = await db
      .selectFrom('task_relations')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where((eb) => eb.or([eb('task_id', 'in', ids), eb('other_task_id', 'in', ids)]))
      .execute();
    const people = await peopleRows(db, ids);
    const taskById = new Map(tasks.map((row) => [row.id, row]));
    const labelsOf = groupBy(labels, (row) => [row.task_id]);
    const commentsOf = groupBy(comments, (row) => [row.task_id]);
    const relationsOf = groupBy(relations, (row) => [row.task_id, row.other_task_id]);
    const values = part.flatMap((view) => {
      const task = taskById.get(view.id);
      if (!task) return [];
      const rows: TrashedRows = {
        task,
        labels: labelsOf.get(view.id) ?? [],
        comments: commentsOf.get(view.id) ?? [],
        relations: relationsOf.get(view.id) ?? [],
        watchers: people.watchers.get(view.id) ?? [],
        taskMentions: people.taskMentions.get(view.id) ?? [],
        commentMentions: people.commentMentions.get(view.id) ?? [],
      };
      return [
        {
          task_id: view.id,
          workspace_id: workspaceId,
          project_id: view.projectId,
          root_task_id: rootTaskId,
          deleted_by: trash.deletedBy,
          deleted_at: trash.deletedAt,
          task: JSON.stringify(view),
          rows: JSON.stringify(rows),
        },
      ];
    });
    if (values.length > 0) await db.insertInto('trashed_tasks').values(values).execute();
  }
  await deleteTask(db, workspaceId, rootTaskId);
}

/** The watchers and mentions of these tasks (and of their comments), by task id. */
async function peopleRows(db: Kysely<Database>, taskIds: readonly string[]) {
  const watchers = await db
    .selectFrom('task_watchers')
    .selectAll()
    .where('task_id', 'in', taskIds)
    .execute();
  const taskMentions = await db
    .selectFrom('task_mentions')
    .selectAll()
    .where('task_id', 'in', taskIds)
    .execute();
  const commentMentions = await db
    .selectFrom('comment_mentions')
    .innerJoin('comments', 'comments.id', 'comment_mentions.comment_id')
    .selectAll('comment_mentions')
    .select('comments.task_id as taskId')
    .where('comments.task_id', 'in', taskIds)
    .execute();
  return {
    watchers: groupBy(watchers, (row) => [row.task_id]),
    taskMentions: groupBy(taskMentions, (row) => [row.task_id]),
    commentMentions: groupBy(
      commentMentions.map(({ taskId, ...row }) => ({ ...row, task_id: taskId })),
      (row) => [row.task_id],
    ),
  };
}

/**
 * Puts a restored task's watchers and mentions back, from its trash row, leaving out
 * people whose account was deleted meanwhile (the rows would name no user).
 */
async function restorePeopleRows(
  db: Kysely<Database>,
  workspaceId: string,
  taskId: string,
): Promise<void> {
  const record = await db
    .selectFrom('trashed_tasks')
    .select('rows')
    .where('workspace_id', '=', workspaceId)
    .where('task_id', '=', taskId)
    .executeTakeFirst();
  if (!record) return;
  const rows = JSON.parse(record.rows) as TrashedRows;
  const named = [
    ...(rows.watchers ?? []),
    ...(rows.taskMentions ?? []),
    ...(rows.commentMentions ?? []),
  ].map((row) => row.user_id);
  if (named.length === 0) return;
  const existing = await db
    .selectFrom('users')
    .select('id')
    .where('id', 'in', [...new Set(named)])
    .execute();
  const alive = new Set(existing.map((row) => row.id));
  const kept = <T extends { user_id: string }>(list: T[] | undefined) =>
    (list ?? []).filter((row) => alive.has(row.user_id));
  const watchers = kept(rows.watchers);
  const taskMentions = kept(rows.taskMentions);
  const commentMentions = kept(rows.commentMentions).map(
    ({ task_id: _, ...row }: Row<'comment_mentions'> & { task_id?: string }) => row,
  );
  for (const part of chunks(watchers)) await db.insertInto('task_watchers').values(part).execute();
  for (const part of chunks(taskMentions)) {
    await db.insertInto('task_mentions').values(part).execute();
  }
  for (const part of chunks(commentMentions)) {
    await db.insertInto('comment_mentions').values(part).execute();
  }
}

type TrashRecord = Pick<Row<'trashed_tasks'>, 'task_id' | 'root_task_id' | 'task' | 'rows'>;

function trashedTask(record: TrashRecord): TrashedTask {
  return {
    taskId: record.task_id,
    rootTaskId: record.root_task_id,
    view: JSON.parse(record.task) as TaskView,
    rows: JSON.parse(record.rows) as TrashedRows,
  };
}

/** The workspace a trashed task belongs to, or undefined when it is not in the trash. */
export async function workspaceIdOfTrashed(
  db: Kysely<Database>,
  taskId: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('trashed_tasks')
    .select('workspace_id')
    .where('task_id', '=', taskId)
    .executeTakeFirst();
  return row?.workspace_id;
}

/** A task of the workspace's trash, or undefined. */
export async function findTrashed(
  db: Kysely<Database>,
  workspaceId: string,
  taskId: string,
): Promise<TrashedTask | undefined> {
  const row = await db
    .selectFrom('trashed_tasks')
    .select(['task_id', 'root_task_id', 'task', 'rows'])
    .where('workspace_id', '=', workspaceId)
    .where('task_id', '=', taskId)
    .executeTakeFirst();
  return row && trashedTask(row);
}

/** The tasks trashed together with `rootTaskId` (itself included when it is in the trash). */
export async function trashedWith(
  db: Kysely<Database>,
  workspaceId: string,
  rootTaskId: string,
): Promise<TrashedTask[]> {
  const rows = await db
    .selectFrom('trashed_tasks')
    .select(['task_id', 'root_task_id', 'task', 'rows'])
    .where('root_task_id', '=', rootTaskId)
    .where('workspace_id', '=', workspaceId)
    .execute();
  return rows.map(trashedTask);
}

/** Which of `taskIds` are live tasks of the workspace. */
export async function liveTaskIds(
  db: Kysely<Database>,
  workspaceId: string,
  taskIds: readonly string[],
): Promise<Set<string>> {
  const found = new Set<string>();
  for (const part of chunks([...new Set(taskIds)])) {
    const rows = await db
      .selectFrom('tasks')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('id', 'in', part)
      .execute();
    for (const row of rows) found.add(row.id);
  }
  return found;
}

/** Which of `userIds` are still accounts. */
export async function existingUserIds(
  db: Kysely<Database>,
  userIds: readonly string[],
): Promise<Set<string>> {
  const found = new Set<string>();
  for (const part of chunks([...new Set(userIds)])) {
    const rows = await db.selectFrom('users').select('id').where('id', 'in', part).execute();
    for (const row of rows) found.add(row.id);
  }
  return found;
}

/**
 * Puts one trashed task's own rows back (the task row as given, its labels and comments)
 * and takes it out of the trash. Relations go back separately ({@link restoreRelations}),
 * once every task restored with it is in.
 */
export async function restoreTaskRows(
  db: Kysely<Database>,
  workspaceId: string,
  task: Row<'tasks'>,
  rows: Pick<TrashedRows, 'labels' | 'comments'>,
): Promise<void> {
  await db.insertInto('tasks').values(task).execute();
  if (rows.labels.length > 0) await db.insertInto('task_labels').values(rows.labels).execute();
  for (const part of chunks(rows.comments)) {
    await db.insertInto('comments').values(part).execute();
  }
  await restorePeopleRows(db, workspaceId, task.id);
  await db
    .deleteFrom('trashed_tasks')
    .where('workspace_id', '=', workspaceId)
    .where('task_id', '=', task.id)
    .execute();
}

/** Inserts relations, leaving out those already there (stored on both of two trashed tasks). */
export async function restoreRelations(
  db: Kysely<Database>,
  relations: readonly Row<'task_relations'>[],
): Promise<void> {
  for (const part of chunks(relations)) {
    await db
      .insertInto('task_relations')
      .values(part)
      .onConflict((oc) => oc.columns(['task_id', 'other_task_id', 'type']).doNothing())
      .execute();
  }
}

/**
 * Keeps relations whose other end is itself in the trash with that trashed task, so they
 * come back when it does (whichever of the two is restored first). Relations with an end
 * that is neither live nor trashed (purged) are dropped.
 */
export async function parkRelations(
  db: Kysely<Database>,
  workspaceId: string,
  relations: readonly Row<'task_relations'>[],
): Promise<void> {
  const byTask = groupBy(relations, (relation) => [relation.task_id, relation.other_task_id]);
  for (const part of chunks([...byTask.keys()])) {
    const rows = await db
      .selectFrom('trashed_tasks')
      .select(['task_id', 'rows'])
      .where('workspace_id', '=', workspaceId)
      .where('task_id', 'in', part)
      .execute();
    for (const row of rows) {
      const stored = JSON.parse(row.rows) as TrashedRows;
      const same = (a: Row<'task_relations'>, b: Row<'task_relations'>) =>
        a.task_id === b.task_id && a.other_task_id === b.other_task_id && a.type === b.type;
      const added = (byTask.get(row.task_id) ?? []).filter(
        (relation) => !stored.relations.some((kept) => same(kept, relation)),
      );
      if (added.length === 0) continue;
      stored.relations.push(...added);
      await db
        .updateTable('trashed_tasks')
        .set({ rows: JSON.stringify(stored) })
        .where('workspace_id', '=', workspaceId)
        .where('task_id', '=', row.task_id)
        .execute();
    }
  }
}

/** Where a page of the trash ended: its last entry's deletion time and task id. */
export interface TrashPosition {
  key: string;
  id: string;
}

/**
 * The next `limit + 1` entries of a workspace's trash (optionally of one project), newest
 * deletion first, after `after`: keyset on (deleted_at, task_id) through
 * trashed_tasks_ws_deleted_idx.
 */
export async function trashPage(
  db: Kysely<Database>,
  workspaceId: string,
  query: { projectId?: string | undefined; after: TrashPosition | null; limit: number },
): Promise<TrashedTaskView[]> {
  const { after, projectId } = query;
  const rows = await db
    .selectFrom('trashed_tasks')
    .select(['task_id', 'task', 'deleted_at', 'deleted_by'])
    .where((eb) => {
      const where = [eb('workspace_id', '=', workspaceId)];
      if (projectId !== undefined) where.push(eb('project_id', '=', projectId));
      if (after) {
        where.push(
          eb('deleted_at', '<=', after.key),
          eb.or([eb('deleted_at', '<', after.key), eb('task_id', '<', after.id)]),
        );
      }
      return eb.and(where);
    })
    .orderBy('deleted_at', 'desc')
    .orderBy('task_id', 'desc')
    .limit(query.limit + 1)
    .execute();
  return rows.map((row) => ({
    ...(JSON.parse(row.task) as TaskView),
    deletedAt: row.deleted_at,
    deletedBy: row.deleted_by,
  }));
}

/**
 * Deletes for good up to `limit` trashed tasks deleted before `before` (oldest first);
 * answers how many went. The server's sweep calls it until fewer than `limit` go.
 */
export async function purgeTrash(
  db: Kysely<Database>,
  before: Date,
  limit: number,
): Promise<number> {
  const result = await db
    .deleteFrom('trashed_tasks')
    .where('task_id', 'in', (eb) =>
      eb
        .selectFrom('trashed_tasks')
        .select('task_id')
        .where('deleted_at', '<', before.toISOString())
        .orderBy('deleted_at')
        .limit(limit),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
