import { newId, type TaskStatus } from '@trellis/db';
import { testDatabaseDialect } from '@trellis/db/testing';
import { describe, expect, it } from 'vitest';
import { statsDays, statsQueries } from '../queries/stats.js';
import { type Harness, harnessForEachTest, rejection, type TestClock } from '../test/harness.js';
import { fillNeighbourWorkspace, postgresPlan, seqScansOf } from '../test/postgres-plans.js';
import { insertProjectRow } from '../test/project-rows.js';

// Mid-morning UTC, so that "today" reaches both before and after the clock.
const NOW = new Date('2030-06-15T10:00:00.000Z');
const DAY_MS = 24 * 60 * 60 * 1000;

let harness: Harness;
let clock: TestClock;

harnessForEachTest(NOW, (fresh, freshClock) => {
  harness = fresh;
  clock = freshClock;
});

/** An owner's workspace with one project. */
async function workspaceWithProject(slug = 'acme') {
  const owner = await harness.signUpUser('Olive Owner');
  const workspace = await owner.api.workspaces.create({ name: slug, slug });
  const projectId = newId();
  const states = await insertProjectRow(harness.db, {
    id: projectId,
    workspace_id: workspace.id,
    key: 'ENG',
    name: 'Engineering',
    created_at: NOW.toISOString(),
    updated_at: NOW.toISOString(),
  });
  let number = 0;
  /** Writes a task row directly, with exactly the fields a test controls. */
  const addTask = async (
    fields: {
      status?: TaskStatus;
      priority?: number;
      assigneeId?: string | null;
      createdAt?: string;
      completedAt?: string | null;
      dueAt?: string | null;
    } = {},
  ) => {
    number += 1;
    const createdAt = fields.createdAt ?? '2030-01-01T12:00:00.000Z';
    await harness.db
      .insertInto('tasks')
      .values({
        id: newId(),
        workspace_id: workspace.id,
        project_id: projectId,
        number,
        title: `Task ${number}`,
        status: fields.status ?? 'todo',
        state_id: states[fields.status ?? 'todo'],
        priority: fields.priority ?? 2,
        assignee_id: fields.assigneeId ?? null,
        due_at: fields.dueAt ?? null,
        created_by: owner.user.id,
        created_at: createdAt,
        updated_at: createdAt,
        completed_at: fields.completedAt ?? null,
      })
      .execute();
  };
  return { owner, workspace, workspaceId: workspace.id, addTask };
}

/** The 30 days ending on 2030-06-15, each with count 0 unless `counts` says otherwise. */
function series(counts: Record<string, number> = {}) {
  return statsDays(NOW).map((day) => ({ day, count: counts[day] ?? 0 }));
}

describe('stats.overview', () => {
  it('counts tasks by every status and every priority, zeros included', async () => {
    const { owner, workspaceId, addTask } = await workspaceWithProject();
    await addTask({ status: 'todo', priority: 0 });
    await addTask({ status: 'todo', priority: 3 });
    await addTask({ status: 'in_progress', priority: 3 });
    await addTask({ status: 'done', priority: 4 });
    await addTask({ status: 'done', priority: 3 });
    await addTask({ status: 'done', priority: 0 });

    const stats = await owner.api.stats.overview({ workspaceId });

    expect(stats.byStatus).toEqual({ backlog: 0, todo: 2, in_progress: 1, done: 3, canceled: 0 });
    expect(stats.byPriority).toEqual([
      { priority: 0, count: 2 },
      { priority: 1, count: 0 },
      { priority: 2, count: 0 },
      { priority: 3, count: 3 },
      { priority: 4, count: 1 },
    ]);
    expect(stats.totals).toEqual({ tasks: 6, open: 3, overdue: 0 });
  });

  it('reports all zeros, and 30 zero days, for a workspace without tasks', async () => {
    const { owner, workspaceId } = await workspaceWithProject();

    const stats = await owner.api.stats.overview({ workspaceId });

    expect(stats).toEqual({
      byStatus: { backlog: 0, todo: 0, in_progress: 0, done: 0, canceled: 0 },
      byPriority: [0, 1, 2, 3, 4].map((priority) => ({ priority, count: 0 })),
      openByAssignee: [],
      createdPerDay: series(),
      completedPerDay: series(),
      totals: { tasks: 0, open: 0, overdue: 0 },
    });
  });

  it('counts open tasks per assignee, most first, unassigned included, done and canceled left out', async () => {
    const { owner, workspaceId, addTask } = await workspaceWithProject();
    const bea = await harness.signUpUser('Bea Builder');
    const cal = await harness.signUpUser('Cal Coder');
    for (const status of ['backlog', 'todo', 'in_progress'] as const) {
      await addTask({ status, assigneeId: bea.user.id });
    }
    await addTask({ status: 'done', assigneeId: bea.user.id, completedAt: NOW.toISOString() });
    await addTask({ status: 'canceled', assigneeId: bea.user.id });
    await addTask({ status: 'todo', assigneeId: cal.user.id });
    await addTask({ status: 'done', assigneeId: cal.user.id, completedAt: NOW.toISOString() });
    await addTask({ status: 'todo' });
    await addTask({ status: 'backlog' });
    await addTask({ status: 'canceled' });

    const stats = await owner.api.stats.overview({ workspaceId });

    expect(stats.openByAssignee).toEqual([
      { assigneeId: bea.user.id, name: 'Bea Builder', count: 3 },
      { assigneeId: null, name: null, count: 2 },
      { assigneeId: cal.user.id, name: 'Cal Coder', count: 1 },
    ]);
  });

  it('counts tasks created per UTC day over today and the 29 days before, zero days included', async () => {
    const { owner, workspaceId, addTask } = await workspaceWithProject();
    // The window is 2030-05-17 … 2030-06-15 (UTC); just outside it on both ends:
    await addTask({ createdAt: '2030-05-16T23:59:59.999Z' });
    await addTask({ createdAt: '2030-06-16T00:00:00.000Z' });
    // Its very first and very last instants, and a busy day in between:
    await addTask({ createdAt: '2030-05-17T00:00:00.000Z' });
    await addTask({ createdAt: '2030-06-15T23:59:59.999Z' });
    await addTask({ createdAt: '2030-06-01T08:00:00.000Z' });
    await addTask({ createdAt: '2030-06-01T20:00:00.000Z', status: 'done' });

    const stats = await owner.api.stats.overview({ workspaceId });

    expect(stats.createdPerDay).toHaveLength(30);
    expect(stats.createdPerDay[0]?.day).toBe('2030-05-17');
    expect(stats.createdPerDay.at(-1)?.day).toBe('2030-06-15');
    expect(stats.createdPerDay).toEqual(
      series({ '2030-05-17': 1, '2030-06-01': 2, '2030-06-15': 1 }),
    );
  });

  it('counts done tasks per UTC day of completed_at, not of creation', async () => {
    const { owner, workspaceId, addTask } = await workspaceWithProject();
    // Created long before the window, completed inside it.
    await addTask({
      status: 'done',
      createdAt: '2029-12-01T00:00:00.000Z',
      completedAt: '2030-06-15T09:00:00.000Z',
    });
    await addTask({ status: 'done', completedAt: '2030-05-17T00:00:00.000Z' });
    await addTask({ status: 'done', completedAt: '2030-05-20T10:00:00.000Z' });
    await addTask({ status: 'done', completedAt: '2030-05-20T11:00:00.000Z' });
    await addTask({ status: 'done', completedAt: '2030-05-16T23:59:59.999Z' });
    // Not done (any more), so not completed, whatever the column says.
    await addTask({ status: 'todo', completedAt: '2030-05-20T12:00:00.000Z' });

    const stats = await owner.api.stats.overview({ workspaceId });

    expect(stats.completedPerDay).toEqual(
      series({ '2030-05-17': 1, '2030-05-20': 2, '2030-06-15': 1 }),
    );
    expect(stats.createdPerDay).toEqual(series());
  });

  it('counts open tasks whose due date has passed as overdue', async () => {
    const { owner, workspaceId, addTask } = await workspaceWithProject();
    await addTask({ status: 'todo', dueAt: '2030-06-15T09:59:59.999Z' });
    await addTask({ status: 'in_progress', dueAt: '2030-01-01T00:00:00.000Z' });
    await addTask({ status: 'todo', dueAt: '2030-06-15T10:00:00.001Z' });
    await addTask({ status: 'todo', dueAt: null });
    await addTask({ status: 'done', dueAt: '2030-01-01T00:00:00.000Z', completedAt: null });
    await addTask({ status: 'canceled', dueAt: '2030-01-01T00:00:00.000Z' });

    const stats = await owner.api.stats.overview({ workspaceId });

    expect(stats.totals).toEqual({ tasks: 6, open: 4, overdue: 2 });
  });

  it('takes "today" from the clock: a day later the window moves by a day', async () => {
    const { owner, workspaceId, addTask } = await workspaceWithProject();
    await addTask({ createdAt: '2030-05-17T12:00:00.000Z' });
    await addTask({ createdAt: '2030-06-16T12:00:00.000Z' });

    clock.advance(DAY_MS);
    const stats = await owner.api.stats.overview({ workspaceId });

    expect(stats.createdPerDay[0]).toEqual({ day: '2030-05-18', count: 0 });
    expect(stats.createdPerDay.at(-1)).toEqual({ day: '2030-06-16', count: 1 });
    expect(stats.createdPerDay.reduce((sum, day) => sum + day.count, 0)).toBe(1);
  });

  it('counts only the workspace asked about', async () => {
    const acme = await workspaceWithProject('acme');
    const other = await workspaceWithProject('other');
    await other.addTask({
      status: 'done',
      priority: 4,
      createdAt: '2030-06-15T08:00:00.000Z',
      completedAt: '2030-06-15T09:00:00.000Z',
    });
    await other.addTask({
      status: 'todo',
      assigneeId: other.owner.user.id,
      dueAt: '2030-06-01T00:00:00.000Z',
    });

    const stats = await acme.owner.api.stats.overview({ workspaceId: acme.workspaceId });

    expect(stats).toEqual({
      byStatus: { backlog: 0, todo: 0, in_progress: 0, done: 0, canceled: 0 },
      byPriority: [0, 1, 2, 3, 4].map((priority) => ({ priority, count: 0 })),
      openByAssignee: [],
      createdPerDay: series(),
      completedPerDay: series(),
      totals: { tasks: 0, open: 0, overdue: 0 },
    });
    const theirs = await other.owner.api.stats.overview({ workspaceId: other.workspaceId });
    expect(theirs.totals).toEqual({ tasks: 2, open: 1, overdue: 1 });
  });

  it('is open to viewers and read tokens, and NOT_FOUND to non-members', async () => {
    const { owner, workspaceId, addTask } = await workspaceWithProject();
    await addTask({ status: 'todo' });
    const viewer = await harness.signUpUser('Vic Viewer');
    await harness.addMember(workspaceId, viewer.user.id, 'viewer');
    const { token } = await owner.api.apiTokens.create({
      workspaceId,
      name: 'Dashboard',
      scope: 'read',
    });
    const stranger = await harness.signUpUser('Sam Stranger');

    expect((await viewer.api.stats.overview({ workspaceId })).totals.tasks).toBe(1);
    expect((await harness.as(token).stats.overview({ workspaceId })).totals.tasks).toBe(1);
    const error = await rejection(stranger.api.stats.overview({ workspaceId }));
    expect(error.code).toBe('NOT_FOUND');
  });

  // SQLite only: reads SQLite's EXPLAIN QUERY PLAN text; PostgreSQL's check is next.
  it.runIf(testDatabaseDialect() === 'sqlite')(
    'answers every aggregate from an index led by workspace_id, never a scan of tasks',
    async () => {
      const { workspaceId } = await workspaceWithProject();
      const queries = statsQueries(harness.db, workspaceId, {
        firstDay: '2030-05-17',
        dayAfter: '2030-06-16',
        now: NOW.toISOString(),
      });

      for (const [name, query] of Object.entries(queries)) {
        const compiled = query.compile();
        const { rows } = await harness.db.executeQuery<{ detail: string }>({
          ...compiled,
          sql: `explain query plan ${compiled.sql}`,
        });
        const plan = rows.map((row) => row.detail);
        expect(plan, name).toContainEqual(
          expect.stringMatching(
            /^SEARCH tasks USING (COVERING )?INDEX tasks_ws_\w+ \(workspace_id=\?/,
          ),
        );
        expect(
          plan.filter((step) => /^SCAN tasks/.test(step)),
          name,
        ).toEqual([]);
      }
    },
  );

  // PostgreSQL plans from table statistics: checked beside a neighbouring workspace of
  // 3,000 tasks, so that this workspace's are a small part of the table.
  it.runIf(testDatabaseDialect() === 'postgres')(
    'answers every aggregate from an index on PostgreSQL, never a sequential scan of tasks',
    async () => {
      const { workspaceId, owner } = await workspaceWithProject();
      await fillNeighbourWorkspace(harness.db, owner.user.id);
      const queries = statsQueries(harness.db, workspaceId, {
        firstDay: '2030-05-17',
        dayAfter: '2030-06-16',
        now: NOW.toISOString(),
      });
      for (const [name, query] of Object.entries(queries)) {
        const plan = await postgresPlan(harness.db, query.compile());
        expect(plan.length, name).toBeGreaterThan(0);
        expect(seqScansOf(plan, 'tasks'), name).toEqual([]);
      }
    },
  );
});
