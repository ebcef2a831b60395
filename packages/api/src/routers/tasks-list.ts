import { createHash } from 'node:crypto';
import { type Database, type Kysely, matchingTaskIds, TASK_STATUSES } from '@trellis/db';
import { TRPCError } from '@trpc/server';
import { type Expression, type RawBuilder, type SqlBool, sql } from 'kysely';
import { z } from 'zod';
import { decodeCursor, encodeCursor, zPageDirection } from '../cursor.js';
import { taskPageOutput } from '../outputs.js';
import { loadTaskViews, type TaskView } from '../queries/tasks.js';
import { printable, zId } from '../schemas.js';
import { workspaceInput, workspaceProcedure } from '../trpc.js';

/** The orders tasks.list offers; each is a keyset on (sort key, id). */
export const TASK_SORTS = ['created', 'updated', 'priority', 'due'] as const;

const taskListFields = workspaceInput
  .extend({
    projectId: zId.optional(),
    status: z
      .array(z.enum(TASK_STATUSES))
      .min(1)
      .max(TASK_STATUSES.length)
      .refine((statuses) => new Set(statuses).size === statuses.length, 'Statuses must differ')
      .optional(),
    assigneeId: zId.nullable().optional(),
    // Trimmed like the labels tasks.create stores.
    label: z
      .string()
      .trim()
      .min(1)
      .max(40)
      .refine(printable, 'Must not contain control characters')
      .optional(),
    q: z.string().trim().min(1).max(200).optional(),
    sort: z.enum(TASK_SORTS).default('created'),
    order: z.enum(['asc', 'desc']).default('desc'),
    cursor: z.string().min(1).max(512).optional(),
    direction: zPageDirection,
    limit: z.number().int().min(1).max(100).default(50),
  })
  .strict();
type TaskListFields = z.output<typeof taskListFields>;

/** One page of tasks; `nextCursor` is null on the last page. */
export interface TaskPage {
  items: TaskView[];
  nextCursor: string | null;
}

// Null due dates are keyed by a sentinel that sorts after every date ascending and before
// every date descending, so they come last either way. The literals must stay identical
// to the expression indexes of migration 0004, or SQLite will not use them.
const NO_DUE_ASC = '9999-12-31T23:59:59.999Z';
const NO_DUE_DESC = '';

function sortKey(input: TaskListInput): RawBuilder<string | number> {
  switch (input.sort) {
    case 'created':
      return sql.ref<string>('tasks.created_at');
    case 'updated':
      return sql.ref<string>('tasks.updated_at');
    case 'priority':
      return sql.ref<number>('tasks.priority');
    case 'due':
      return sql<string>`coalesce(${sql.ref('tasks.due_at')}, ${sql.lit(input.order === 'asc' ? NO_DUE_ASC : NO_DUE_DESC)})`;
  }
}

/** Where the previous page ended: the last row's sort key and id. */
interface Position {
  key: string | number;
  id: string;
}

const cursorPayload = z
  .object({
    f: z.string().max(64),
    k: z.union([z.string().max(64).refine(printable), z.number().int()]),
    i: zId,
  })
  .strict();

// Binds a cursor to the query that produced it (workspace, filters, sort, order; not the
// limit, which may change between pages), so a cursor pasted into another query is refused
// instead of silently skipping or repeating tasks.
function fingerprint(input: TaskListFields): string {
  const { workspaceId, projectId, status, assigneeId, label, q, sort, order } = input;
  const shape = {
    workspaceId,
    projectId,
    status: status && [...status].sort(),
    assigneeId,
    label,
    q,
    sort,
    order,
  };
  return createHash('sha256').update(JSON.stringify(shape)).digest('base64url').slice(0, 22);
}

function cursorAt(input: TaskListFields, at: Position): string {
  return encodeCursor({ f: fingerprint(input), k: at.key, i: at.id });
}

/** The position a cursor names, or what is wrong with it. */
function positionOf(input: TaskListFields, cursor: string): Position | { problem: string } {
  const payload = decodeCursor(cursor, cursorPayload);
  if (!payload) return { problem: 'Invalid cursor' };
  const { f, k, i } = payload;
  if (f !== fingerprint(input)) {
    return { problem: 'Cursor does not match this query; start again without one' };
  }
  // Only a forged cursor gets here with the wrong kind of key.
  if (typeof k !== (input.sort === 'priority' ? 'number' : 'string')) {
    return { problem: 'Invalid cursor' };
  }
  return { key: k, id: i };
}

/**
 * What tasks.list accepts. `assigneeId: null` lists unassigned tasks. `priority` sorts by
 * the number alone: 4 is the most urgent and 0 (the default) the least, so `desc` puts the
 * most urgent first. Under `due`, tasks without a due date come last in both directions.
 * The cursor is decoded into `after` while validating, so a bad one is a BAD_REQUEST field
 * error like any other.
 */
export const taskListInput = taskListFields.transform((input, ctx) => {
  if (input.cursor === undefined) return { ...input, after: null };
  const after = positionOf(input, input.cursor);
  if ('problem' in after) {
    ctx.addIssue({ code: 'custom', path: ['cursor'], message: after.problem, input: input.cursor });
    return z.NEVER;
  }
  return { ...input, after };
});

/** tasks.list input as validated: defaults applied, cursor decoded. */
export type TaskListInput = z.output<typeof taskListInput>;

/**
 * The query behind tasks.list: ids and sort keys of the next `limit + 1` matching tasks of
 * one workspace (the extra row tells whether another page follows). Null when `q` has no
 * searchable word, which matches nothing. Exported so that tests can EXPLAIN exactly what
 * the procedure runs.
 */
export function buildTaskListQuery(
  db: Kysely<Database>,
  workspaceId: string,
  input: TaskListInput,
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

async function requireProject(db: Kysely<Database>, workspaceId: string, projectId: string) {
  const project = await db
    .selectFrom('projects')
    .select('id')
    .where('id', '=', projectId)
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  if (!project) throw new TRPCError({ code: 'NOT_FOUND', message: 'Project not found' });
}

/**
 * One page of `input`'s list in a workspace (NOT_FOUND for a project outside it). The
 * procedure's whole work, exported so that the benchmark's baseline runs exactly this.
 */
export async function listTaskPage(
  db: Kysely<Database>,
  workspaceId: string,
  input: TaskListInput,
): Promise<TaskPage> {
  if (input.projectId !== undefined) await requireProject(db, workspaceId, input.projectId);
  const query = buildTaskListQuery(db, workspaceId, input);
  if (!query) return { items: [], nextCursor: null };
  const rows = await query.execute();
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  const nextCursor =
    rows.length > input.limit && last ? cursorAt(input, { key: last.sortKey, id: last.id }) : null;
  const items = await loadTaskViews(
    db,
    workspaceId,
    page.map((row) => row.id),
  );
  return { items, nextCursor };
}

/** tasks.list (viewer+, tokens too): a filtered, sorted page of tasks and the next cursor. */
export const listTasks = workspaceProcedure('viewer')
  .input(taskListInput)
  .output(taskPageOutput)
  .query(({ ctx, input }) => listTaskPage(ctx.db, ctx.workspace.id, input));
