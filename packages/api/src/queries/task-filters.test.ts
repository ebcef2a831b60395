import { testDatabaseDialect } from '@trellis/db/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TaskListInput, taskListInput } from '../routers/tasks-list.js';
import { createHarness, type Harness, testClock } from '../test/harness.js';
import { fillNeighbourWorkspace, postgresPlan, seqScansOf } from '../test/postgres-plans.js';
import { listPlanProblems, sqlitePlan } from '../test/sqlite-plans.js';
import {
  DAY_MS,
  everySortAndOrder,
  iso,
  type ListInput,
  MINUTE_MS,
  START,
  world,
} from '../test/task-list-world.js';
import { buildTaskListQuery } from './tasks-list.js';

// The plans of tasks.list's newer filters (due dates, updatedSince, createdBy, several
// assignees, several labels), each alone and with a project, for every sort and order,
// as a first page and from a cursor. The older filters' combinations are in
// tasks-list.test.ts.

let harness: Harness;

beforeEach(async () => {
  harness = await createHarness({ clock: testClock(new Date(START.getTime() + DAY_MS)).now });
});

afterEach(async () => {
  await harness.destroy();
});

type Built = Awaited<ReturnType<typeof world>>;
type FilterCase = [name: string, filters: Partial<ListInput>];

/** Each new filter, chosen so that at least two of the fixture's tasks match it. */
function newFilters({ owner, ada, bob }: Built): FilterCase[] {
  return [
    ['dueBefore', { dueBefore: iso(START.getTime() + 3 * DAY_MS) }],
    ['dueAfter', { dueAfter: iso(START.getTime() + 2 * DAY_MS) }],
    [
      'dueAfter+dueBefore',
      {
        dueAfter: iso(START.getTime() + 2 * DAY_MS),
        dueBefore: iso(START.getTime() + 5 * DAY_MS),
      },
    ],
    ['updatedSince', { updatedSince: iso(START.getTime() + 65 * MINUTE_MS) }],
    ['createdBy', { createdBy: owner.user.id }],
    ['assigneeId[]', { assigneeId: [ada, bob] }],
    ['assigneeId[] with null', { assigneeId: [ada, null] }],
    ['label[] any', { label: ['bug', 'ui'] }],
    ['label[] all', { label: ['bug', 'ui'], labelMatch: 'all' }],
  ];
}

/** Every new filter (alone and with projectId) × sort × order, first page and from a cursor. */
async function everyPage(built: Built): Promise<{ name: string; input: TaskListInput }[]> {
  const pages: { name: string; input: TaskListInput }[] = [];
  for (const [filterName, filters] of newFilters(built)) {
    for (const project of [{}, { projectId: built.web }]) {
      for (const { sort, order } of everySortAndOrder) {
        const input = { workspaceId: built.acme.id, ...filters, ...project, sort, order };
        const { nextCursor } = await built.owner.api.tasks.list({ ...input, limit: 1 });
        expect(nextCursor, `${filterName} ${sort} ${order}`).not.toBeNull();
        for (const cursor of [undefined, nextCursor ?? undefined]) {
          const name = `${filterName}${'projectId' in project ? '+projectId' : ''}, ${sort} ${order}${cursor ? ', from a cursor' : ''}`;
          pages.push({ name, input: taskListInput.parse({ ...input, cursor }) });
        }
      }
    }
  }
  return pages;
}

describe.runIf(testDatabaseDialect() === 'sqlite')(
  'tasks.list’s newer filters: plans on SQLite',
  () => {
    async function planOf(workspaceId: string, input: TaskListInput): Promise<string[]> {
      const query = buildTaskListQuery(harness.db, workspaceId, input);
      if (!query) throw new Error('no query for this input');
      return sqlitePlan(harness.db, query);
    }

    it('reads tasks through an index range in list order, labels through their index', async () => {
      const built = await world(harness);
      const problems: string[] = [];
      for (const { name, input } of await everyPage(built)) {
        const plan = await planOf(built.acme.id, input);
        problems.push(...listPlanProblems(name, plan, input.cursor !== undefined));
        const onLabels = plan.filter((line) => /\btask_labels\b/.test(line));
        if (onLabels.some((line) => !line.includes('INDEX task_labels_ws_label_idx'))) {
          problems.push(`${name}: labels ${onLabels.join(' | ')}`);
        }
      }
      expect(problems).toEqual([]);
    });

    it('reads the due range from the due-date index when sorting by due date', async () => {
      const built = await world(harness);
      for (const order of ['asc', 'desc'] as const) {
        const input = taskListInput.parse({
          workspaceId: built.acme.id,
          dueAfter: iso(START.getTime() + 2 * DAY_MS),
          dueBefore: iso(START.getTime() + 5 * DAY_MS),
          sort: 'due',
          order,
        });
        const [line, ...rest] = (await planOf(built.acme.id, input)).filter((l) =>
          /\btasks\b/.test(l),
        );
        expect(rest).toEqual([]);
        // Both ends of the range bound the index search, not a test of every entry.
        expect(line).toMatch(
          new RegExp(
            `INDEX tasks_ws_due_${order}_idx \\(workspace_id=\\? AND <expr>>\\? AND <expr><\\?\\)`,
          ),
        );
      }
    });

    it('finds what one member created through tasks_ws_creator_idx', async () => {
      const built = await world(harness);
      const input = taskListInput.parse({
        workspaceId: built.acme.id,
        createdBy: built.owner.user.id,
        sort: 'created',
      });
      const plan = await planOf(built.acme.id, input);
      expect(plan.join(' | ')).toMatch(
        /SEARCH tasks USING (COVERING )?INDEX tasks_ws_creator_idx \(workspace_id=\? AND created_by=\?\)/,
      );
    });
  },
);

// Beside a neighbouring workspace of 3,000 tasks (postgres-plans.ts), as the older filters.
describe.runIf(testDatabaseDialect() === 'postgres')(
  'tasks.list’s newer filters: plans on PostgreSQL',
  () => {
    it('never scans tasks or task_labels sequentially', async () => {
      const built = await world(harness);
      await fillNeighbourWorkspace(harness.db, built.ada);
      const problems: string[] = [];
      for (const { name, input } of await everyPage(built)) {
        const query = buildTaskListQuery(harness.db, built.acme.id, input);
        if (!query) throw new Error('no query for this input');
        const nodes = await postgresPlan(harness.db, query.compile());
        const scans = [...seqScansOf(nodes, 'tasks'), ...seqScansOf(nodes, 'task_labels')];
        if (nodes.length === 0 || scans.length > 0) {
          problems.push(`${name}: ${nodes.map((node) => node['Node Type']).join(' > ')}`);
        }
      }
      expect(problems).toEqual([]);
    });
  },
);
