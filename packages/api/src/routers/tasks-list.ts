import { createHash } from 'node:crypto';
import type { Database, Kysely } from '@trellis/db';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { decodeCursor, encodeCursor, zPageDirection } from '../cursor.js';
import { taskListOutput, type taskPageOutput } from '../outputs.js';
import { getProject } from '../queries/projects.js';
import { loadTaskViews } from '../queries/tasks.js';
import { type TaskListPosition as Position, taskListRows } from '../queries/tasks-list.js';
import { printable, zId } from '../schemas.js';
import { filterProblems, taskListFilters, taskListSort } from '../task-filters.js';
import { workspaceInput, workspaceProcedure } from '../trpc.js';
import { listTrashPage, trashListProblem } from './tasks-trash.js';

export { filterProblems, type TaskListFilters, taskListFilters } from '../task-filters.js';

const taskListFields = workspaceInput
  .extend(taskListFilters.shape)
  .extend({
    ...taskListSort,
    /** true: the trash instead of live tasks (./tasks-trash.ts). */
    trashed: z.boolean().optional(),
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
// Every field but the page's own goes in, so a filter added later is covered without
// naming it here; the first keys keep their order so that older cursors stay valid.
function fingerprint(input: TaskListFields & { after?: unknown }): string {
  const { workspaceId, projectId, status, assigneeId, parentId, blocked, label, q } = input;
  const { sort, order, cursor: _c, direction: _d, limit: _l, after: _a, ...newer } = input;
  const older = { workspaceId, projectId, status, assigneeId, parentId, blocked, label, q };
  const shape = {
    ...Object.fromEntries(Object.entries(older).map(([key, value]) => [key, unordered(value)])),
    sort,
    order,
    ...Object.fromEntries(
      Object.entries(newer)
        .filter(([key]) => !(key in older))
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([key, value]) => [key, unordered(value)]),
    ),
  };
  return createHash('sha256').update(JSON.stringify(shape)).digest('base64url').slice(0, 22);
}

/** An array in a set's order (null first), anything else as it is. */
function unordered(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  const text = (item: unknown) => (item === null ? '' : `.${String(item)}`);
  return [...value].sort((a, b) => (text(a) < text(b) ? -1 : text(a) > text(b) ? 1 : 0));
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
 * What tasks.list accepts: the filters of ../task-filters.ts (`assigneeId: null` lists
 * unassigned tasks; lists mean any of them), a sort and a page. `priority` sorts by
 * the number alone: 4 is the most urgent and 0 (the default) the least, so `desc` puts the
 * most urgent first. Under `due`, tasks without a due date come last in both directions.
 * The cursor is decoded into `after` while validating, so a bad one is a BAD_REQUEST field
 * error like any other.
 */
export const taskListInput = taskListFields.transform((input, ctx) => {
  const trashProblem = input.trashed ? trashListProblem(input) : null;
  if (trashProblem) {
    const { field, message } = trashProblem;
    ctx.addIssue({ code: 'custom', path: [field], message, input });
    return z.NEVER;
  }
  for (const { path, message } of filterProblems(input)) {
    ctx.addIssue({ code: 'custom', path: [path], message, input });
  }
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
  .output(taskListOutput)
  .query(({ ctx, input }) =>
    input.trashed
      ? listTrashPage(ctx.db, ctx.workspace.id, input, (at) => cursorAt(input, at))
      : listTaskPage(ctx.db, ctx.workspace.id, input),
  );
