import { type Database, type Kysely, matchingTaskIds, type TaskStatus } from '@trellis/db';
import {
  type Expression,
  type ExpressionBuilder,
  type RawBuilder,
  type SqlBool,
  sql,
} from 'kysely';

/** The orders tasks.list offers; each is a keyset on (sort key, id). */
export const TASK_SORTS = ['created', 'updated', 'priority', 'due'] as const;

/** Where a page ended: its last row's sort key and id. */
export interface TaskListPosition {
  key: string | number;
  id: string;
}

/** Which of a workspace's tasks to list, in what order, from where. */
export interface TaskListQuery {
  projectId?: string | undefined;
  status?: readonly TaskStatus[] | undefined;
  /** Any of these workflow states. */
  stateId?: readonly string[] | undefined;
  /** Null: unassigned tasks only; several: any of them (null among them: or unassigned). */
  assigneeId?: string | null | readonly (string | null)[] | undefined;
  /** Sub-tasks of this task; null: top-level tasks only. */
  parentId?: string | null | undefined;
  /** true: tasks a `blocks` relation from an open (not done/canceled) task points at. */
  blocked?: boolean | undefined;
  /** Several: any of them, or all of them under `labelMatch: 'all'`. */
  label?: string | readonly string[] | undefined;
  labelMatch?: 'any' | 'all' | undefined;
  createdBy?: string | undefined;
  /** Due strictly before (UTC ISO); tasks without a due date never match. */
  dueBefore?: string | undefined;
  /** Due at or after (UTC ISO); tasks without a due date never match. */
  dueAfter?: string | undefined;
  /** Updated at or after (UTC ISO). */
  updatedSince?: string | undefined;
  q?: string | undefined;
  sort: (typeof TASK_SORTS)[number];
  order: 'asc' | 'desc';
  /** Null for the first page. */
  after: TaskListPosition | null;
  limit: number;
}

// Null due dates are keyed by a sentinel that sorts after every date ascending and before
// every date descending, so they come last either way. The literals must stay identical
// to the expression indexes of migration 0004, or SQLite will not use them.
const NO_DUE_ASC = '9999-12-31T23:59:59.999Z';
const NO_DUE_DESC = '';

function sortKey(query: TaskListQuery): RawBuilder<string | number> {
  switch (query.sort) {
    case 'created':
      return sql.ref<string>('tasks.created_at');
    case 'updated':
      return sql.ref<string>('tasks.updated_at');
    case 'priority':
      return sql.ref<number>('tasks.priority');
    case 'due':
      return sql<string>`coalesce(${sql.ref('tasks.due_at')}, ${sql.lit(query.order === 'asc' ? NO_DUE_ASC : NO_DUE_DESC)})`;
  }
}

/**
 * The due-date filters. Under `sort: due` they are also written against the sort key, so
 * that the due-date expression index (which holds coalesce(due_at, sentinel), not due_at)
 * reads only the range; `due_at` itself is tested too, which keeps tasks without a due
 * date (keyed by the sentinel) out.
 */
function dueRange(
  eb: ExpressionBuilder<Database, 'tasks'>,
  key: RawBuilder<string | number>,
  input: TaskListQuery,
): Expression<SqlBool>[] {
  const { dueBefore, dueAfter } = input;
  if (dueBefore === undefined && dueAfter === undefined) return [];
  const onKey = input.sort === 'due';
  const range: Expression<SqlBool>[] = [eb('tasks.due_at', 'is not', null)];
  if (dueBefore !== undefined) {
    range.push(eb('tasks.due_at', '<', dueBefore));
    if (onKey) range.push(eb(key, '<', dueBefore));
  }
  if (dueAfter !== undefined) {
    range.push(eb('tasks.due_at', '>=', dueAfter));
    if (onKey) range.push(eb(key, '>=', dueAfter));
  }
  return range;
}

/**
 * The query behind tasks.list: ids and sort keys of the next `limit + 1` matching tasks of
 * one workspace (the extra row tells whether another page follows). Null when `q` has no
 * searchable word, which matches nothing. Exported so that tests can EXPLAIN exactly what
 * the procedure runs.
 */
export function buildTaskListQuery(
  db: Kysely<Database>,
  workspaceId: string,
  input: TaskListQuery,
) {
  const matching = input.q === undefined ? undefined : matchingTaskIds(db, workspaceId, input.q);
  if (matching === null) return null;
  const key = sortKey(input);
  const { order, after } = input;
  return db
    .selectFrom('tasks')
    .select(['tasks.id', key.as('sortKey')])
    .where((eb) => {
      const where: Expression<SqlBool>[] = [eb('tasks.workspace_id', '=', workspaceId)];
      if (input.projectId !== undefined) where.push(eb('tasks.project_id', '=', input.projectId));
      if (input.status !== undefined) where.push(eb('tasks.status', 'in', input.status));
      if (input.stateId !== undefined) where.push(eb('tasks.state_id', 'in', input.stateId));
      if (input.assigneeId !== undefined) {
        const wanted = Array.isArray(input.assigneeId) ? input.assigneeId : [input.assigneeId];
        const ids = wanted.filter((id): id is string => id !== null);
        const either: Expression<SqlBool>[] = [];
        if (ids.length > 0) either.push(eb('tasks.assignee_id', 'in', ids));
        if (ids.length < wanted.length) either.push(eb('tasks.assignee_id', 'is', null));
        where.push(eb.or(either));
      }
      if (input.createdBy !== undefined) where.push(eb('tasks.created_by', '=', input.createdBy));
      if (input.updatedSince !== undefined) {
        // Under another sort, `|| ''` keeps SQLite from reading this range from
        // tasks_ws_updated_idx and sorting all of it: the sort's index walks in list order
        // and tests each row, and a page stops after `limit` rows.
        const updated = sql.ref<string>('tasks.updated_at');
        const side = input.sort === 'updated' ? updated : sql<string>`(${updated} || '')`;
        where.push(eb(side, '>=', input.updatedSince));
      }
      where.push(...dueRange(eb, key, input));
      if (input.parentId !== undefined) {
        where.push(
          input.parentId === null
            ? eb('tasks.parent_id', 'is', null)
            : eb('tasks.parent_id', '=', input.parentId),
        );
      }
      if (input.blocked !== undefined) {
        // Through task_relations_other_idx: what points at this task, then the blocker's status.
        const blockers = eb
          .selectFrom('task_relations')
          .innerJoin('tasks as blocker', 'blocker.id', 'task_relations.task_id')
          .select('task_relations.task_id')
          .whereRef('task_relations.other_task_id', '=', 'tasks.id')
          .where('task_relations.type', '=', 'blocks')
          .where('blocker.status', 'not in', ['done', 'canceled']);
        where.push(input.blocked ? eb.exists(blockers) : eb.not(eb.exists(blockers)));
      }
      if (input.label !== undefined) {
        const labels = typeof input.label === 'string' ? [input.label] : input.label;
        const labelled = (wanted: readonly string[]) =>
          eb
            .selectFrom('task_labels')
            .select('task_labels.task_id')
            .where('task_labels.workspace_id', '=', workspaceId)
            .where('task_labels.label', 'in', wanted);
        // All: one indexed lookup per label; any: one lookup of them all.
        if (input.labelMatch === 'all') {
          for (const label of labels) where.push(eb('tasks.id', 'in', labelled([label])));
        } else {
          where.push(eb('tasks.id', 'in', labelled(labels)));
        }
      }
      if (matching !== undefined) where.push(eb('tasks.id', 'in', matching));
      if (after) {
        // Spelled out rather than as a row value, which SQLite does not match against an
        // expression index: the first half is the index range, the second the tie-break.
        const [past, pastOrAt] = order === 'desc' ? (['<', '<='] as const) : (['>', '>='] as const);
        where.push(
          eb(key, pastOrAt, after.key),
          eb.or([eb(key, past, after.key), eb('tasks.id', past, after.id)]),
        );
      }
      return eb.and(where);
    })
    .orderBy(key, order)
    .orderBy('tasks.id', order)
    .limit(input.limit + 1);
}

/** The rows of {@link buildTaskListQuery}: none when `q` has no searchable word. */
export async function taskListRows(
  db: Kysely<Database>,
  workspaceId: string,
  input: TaskListQuery,
): Promise<{ id: string; sortKey: TaskListPosition['key'] }[]> {
  const query = buildTaskListQuery(db, workspaceId, input);
  return query ? query.execute() : [];
}
