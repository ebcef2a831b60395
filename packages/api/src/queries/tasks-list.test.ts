import { testDatabaseDialect } from '@trellis/db/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TaskListInput, taskListInput } from '../routers/tasks-list.js';
import { createHarness, type Harness, testClock } from '../test/harness.js';
import { fillNeighbourWorkspace, postgresPlan, seqScansOf } from '../test/postgres-plans.js';
import { listPlanProblems, sqlitePlan } from '../test/sqlite-plans.js';
import { DAY_MS, everySortAndOrder, type Filters, START, world } from '../test/task-list-world.js';
import { buildTaskListQuery } from './tasks-list.js';

// The plans of exactly the queries tasks.list runs, for every filter, sort and order.

let harness: Harness;

beforeEach(async () => {
  harness = await createHarness({ clock: testClock(new Date(START.getTime() + DAY_MS)).now });
});

afterEach(async () => {
  await harness.destroy();
});

/** The filters the query-plan tests combine. */
const FILTERS = ['projectId', 'status', 'assigneeId', 'label', 'q'] as const;

/**
 * Every combination of filters, sort and order, each as a first page and as the page after
 * its cursor: the inputs the query-plan tests check, with a name for failure messages.
 */
async function everyListPage({
  owner,
  acme,
  everyFilter,
}: Awaited<ReturnType<typeof world>>): Promise<{ name: string; input: TaskListInput }[]> {
  const pages: { name: string; input: TaskListInput }[] = [];
  for (let mask = 0; mask < 2 ** FILTERS.length; mask += 1) {
    const filters = Object.fromEntries(
      FILTERS.filter((_, bit) => mask & (1 << bit)).map((name) => [name, everyFilter[name]]),
    ) as Filters;
    for (const { sort, order } of everySortAndOrder) {
      const input = { workspaceId: acme.id, ...filters, sort, order };
      const { nextCursor } = await owner.api.tasks.list({ ...input, limit: 1 });
      expect(nextCursor).not.toBeNull();
      for (const cursor of [undefined, nextCursor ?? undefined]) {
        const name = `${Object.keys(filters).join('+') || 'no filter'}, ${sort} ${order}${cursor ? ', from a cursor' : ''}`;
        pages.push({ name, input: taskListInput.parse({ ...input, cursor }) });
      }
    }
  }
  return pages;
}

// SQLite only: reads SQLite's EXPLAIN QUERY PLAN text; the PostgreSQL check is below.
describe.runIf(testDatabaseDialect() === 'sqlite')('tasks.list query plans', () => {
  it('reads tasks through an index range in list order for every filter, sort and order', async () => {
    const built = await world(harness);
    const problems: string[] = [];
    for (const { name, input } of await everyListPage(built)) {
      const query = buildTaskListQuery(harness.db, built.acme.id, input);
      if (!query) throw new Error('no query for this input');
      // A SEARCH on an index led by workspace_id (or project_id), in list order, from
      // where the cursor points.
      problems.push(
        ...listPlanProblems(name, await sqlitePlan(harness.db, query), input.cursor !== undefined),
      );
    }
    expect(problems).toEqual([]);
  });
});

// PostgreSQL chooses plans from table statistics, so its check runs beside a neighbouring
// workspace of 3,000 tasks: Acme's pages must come from indexes led by workspace_id or
// project_id, never from a sequential scan of tasks.
describe.runIf(testDatabaseDialect() === 'postgres')('tasks.list query plans on PostgreSQL', () => {
  it('reads tasks through indexes, never a sequential scan, for every filter, sort and order', async () => {
    const built = await world(harness);
    await fillNeighbourWorkspace(harness.db, built.ada);
    const problems: string[] = [];
    for (const { name, input } of await everyListPage(built)) {
      const query = buildTaskListQuery(harness.db, built.acme.id, input);
      if (!query) throw new Error('no query for this input');
      const nodes = await postgresPlan(harness.db, query.compile());
      if (nodes.length === 0 || seqScansOf(nodes, 'tasks').length > 0) {
        problems.push(`${name}: ${nodes.map((node) => node['Node Type']).join(' > ')}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
