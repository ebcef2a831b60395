import { createHash } from 'node:crypto';
import { type Database, type Kysely, TASK_STATUSES } from '@trellis/db';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { decodeCursor, encodeCursor, zPageDirection } from '../cursor.js';
import { taskPageOutput } from '../outputs.js';
import { getProject } from '../queries/projects.js';
import { loadTaskViews } from '../queries/tasks.js';
import {
  type TaskListPosition as Position,
  TASK_SORTS,
  taskListRows,
} from '../queries/tasks-list.js';
import { LABEL_MAX_LENGTH, printable, zId, zPrintableText } from '../schemas.js';
import { workspaceInput, workspaceProcedure } from '../trpc.js';

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
    /** Sub-tasks of this task; null: top-level tasks only. */
    parentId: zId.nullable().optional(),
    /** true: tasks some open task blocks; false: tasks no open task blocks. */
    blocked: z.boolean().optional(),
    // Trimmed like the labels tasks.create stores.
    label: zPrintableText(LABEL_MAX_LENGTH).optional(),
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
export type TaskPage = z.output<typeof taskPageOutput>;

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
  const { workspaceId, projectId, status, assigneeId, parentId, label, q, sort, order } = input;
  const { blocked } = input;
  const shape = {
    workspaceId,
    projectId,
    status: status && [...status].sort(),
    assigneeId,
    parentId,
    blocked,
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
 * One page of `input`'s list in a workspace (NOT_FOUND for a project outside it). The
 * procedure's whole work, exported so that the benchmark's baseline runs exactly this.
 */
export async function listTaskPage(
  db: Kysely<Database>,
  workspaceId: string,
  input: TaskListInput,
): Promise<TaskPage> {
  if (input.projectId !== undefined && !(await getProject(db, workspaceId, input.projectId))) {
    throw new TRPCError({ code: 'NOT_FOUND', message: 'Project not found' });
  }
  const rows = await taskListRows(db, workspaceId, input);
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
