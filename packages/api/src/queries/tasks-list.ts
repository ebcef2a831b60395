import { type Database, type Kysely, matchingTaskIds, type TaskStatus } from '@trellis/db';
import { type Expression, type RawBuilder, type SqlBool, sql } from 'kysely';

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
  /** Null: unassigned tasks only. */
  assigneeId?: string | null | undefined;
  /** Sub-tasks of this task; null: top-level tasks only. */
  parentId?: string | null | undefined;
  /** true: tasks a `blocks` relation from an open (not done/canceled) task points at. */
  blocked?: boolean | undefined;
  label?: string | undefined;
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
      if (input.assigneeId !== undefined) {
        where.push(
          input.assigneeId === null
            ? eb('tasks.assignee_id', 'is', null)
            : eb('tasks.assignee_id', '=', input.assigneeId),
        );
      }
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
        const labelled = eb
          .selectFrom('task_labels')
          .select('task_labels.task_id')
          .where('task_labels.workspace_id', '=', workspaceId)
          .where('task_labels.label', '=', input.label);
        where.push(eb('tasks.id', 'in', labelled));
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
