import { testDatabaseDialect } from '@trellis/db/testing';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { pendingRemindersQuery } from '../queries/reminders.js';
import { insertTasks } from '../queries/tasks.js';
import { type Harness, harnessForEachTest, type TestClock } from '../test/harness.js';
import { fillNeighbourWorkspace, postgresPlan, seqScansOf } from '../test/postgres-plans.js';
import { sqlitePlan } from '../test/sqlite-plans.js';
import { MINUTE_MS, START, taskFixtures } from '../test/task-fixtures.js';
import { DUE_SOON_MS, runReminders } from './reminders.js';

// The reminder pass with an injected clock: due-soon 24 hours ahead and overdue once per
// task and due date, only to watchers, never for closed tasks, re-armed by a new due date,
// and exactly once when passes run at the same time; its scan reads the partial indexes.

let harness: Harness;
let clock: TestClock;
harnessForEachTest(START, (current, currentClock) => {
  harness = current;
  clock = currentClock;
});
const { team, activityOf } = taskFixtures(() => harness);
const HOUR_MS = 60 * MINUTE_MS;
const later = (ms: number) => new Date(START.getTime() + ms).toISOString();

/** A team, a task due `dueInMs` after START, watched by the owner and the member. */
async function watchedTask(dueInMs: number) {
  const world = await team();
  const task = await world.member.api.tasks.create({
    projectId: world.projectId,
    title: 'Renew the certificate',
    dueAt: later(dueInMs),
  });
  // The people helper's procedures add watchers; here the rows are the arrangement.
  await harness.db
    .insertInto('task_watchers')
    .values(
      [world.owner, world.member].map((person) => ({
        task_id: task.id,
        user_id: person.user.id,
        workspace_id: world.workspaceId,
        created_at: START.toISOString(),
      })),
    )
    .onConflict((oc) => oc.doNothing())
    .execute();
  return { ...world, task };
}

async function notificationsOf(userId: string) {
  const rows = await harness.db
    .selectFrom('notifications')
    .select(['kind', 'task_id', 'actor_id', 'data', 'created_at'])
    .where('user_id', '=', userId)
    .orderBy('seq')
    .execute();
  return rows.map((row) => ({ ...row, data: JSON.parse(row.data) as Record<string, unknown> }));
}

const reminderEvents = async (workspaceId: string) =>
  (await activityOf(workspaceId))
    .filter((entry) => entry.type === 'task.due_soon' || entry.type === 'task.overdue')
    .map((entry) => ({ type: entry.type, taskId: entry.task_id, actor: entry.actor_id }));

const pass = () => runReminders(harness.db, clock.now(), { limit: 100 });

describe('runReminders', () => {
  it('reminds watchers 24 hours ahead, then when overdue, once each', async () => {
    const { task, owner, member, outsider, workspaceId } = await watchedTask(30 * HOUR_MS);
    expect(await pass()).toEqual({ dueSoon: 0, overdue: 0 });
    clock.advance(6 * HOUR_MS + MINUTE_MS);
    expect(await pass()).toEqual({ dueSoon: 1, overdue: 0 });
    expect(await pass()).toEqual({ dueSoon: 0, overdue: 0 });
    clock.advance(DUE_SOON_MS);
    expect(await pass()).toEqual({ dueSoon: 0, overdue: 1 });
    expect(await pass()).toEqual({ dueSoon: 0, overdue: 0 });

    expect(await reminderEvents(workspaceId)).toEqual([
      { type: 'task.due_soon', taskId: task.id, actor: null },
      { type: 'task.overdue', taskId: task.id, actor: null },
    ]);
    const [entry] = (await activityOf(workspaceId)).filter((e) => e.type === 'task.due_soon');
    expect(entry?.data).toMatchObject({
      task: { id: task.id, dueAt: task.dueAt },
      dueAt: task.dueAt,
    });
    for (const person of [owner, member]) {
      expect(await notificationsOf(person.user.id)).toEqual([
        expect.objectContaining({ kind: 'due_soon', task_id: task.id, actor_id: null }),
        expect.objectContaining({ kind: 'overdue', task_id: task.id, actor_id: null }),
      ]);
    }
    const [first] = await notificationsOf(member.user.id);
    expect(first?.data).toEqual({
      task: { id: task.id, key: task.key, title: task.title },
      dueAt: task.dueAt,
    });
    expect(await notificationsOf(outsider.user.id)).toEqual([]);
  });

  it('sends only the overdue reminder for a task first seen past its due date', async () => {
    const { task, member, workspaceId } = await watchedTask(HOUR_MS);
    clock.advance(2 * HOUR_MS);
    expect(await pass()).toEqual({ dueSoon: 0, overdue: 1 });
    expect(await pass()).toEqual({ dueSoon: 0, overdue: 0 });
    expect((await notificationsOf(member.user.id)).map((n) => n.kind)).toEqual(['overdue']);
    const stored = await harness.db
      .selectFrom('tasks')
      .select(['due_soon_sent_for', 'overdue_sent_for'])
      .where('id', '=', task.id)
      .executeTakeFirstOrThrow();
    expect(stored).toEqual({ due_soon_sent_for: task.dueAt, overdue_sent_for: task.dueAt });
    expect((await reminderEvents(workspaceId)).map((e) => e.type)).toEqual(['task.overdue']);
  });

  it('re-arms both reminders when the due date changes', async () => {
    const { task, member } = await watchedTask(HOUR_MS);
    expect(await pass()).toEqual({ dueSoon: 1, overdue: 0 });
    const moved = await member.api.tasks.update({
      taskId: task.id,
      expectedVersion: task.version,
      patch: { dueAt: later(3 * HOUR_MS) },
    });
    expect(await pass()).toEqual({ dueSoon: 1, overdue: 0 });
    clock.advance(4 * HOUR_MS);
    expect(await pass()).toEqual({ dueSoon: 0, overdue: 1 });
    const notes = await notificationsOf(member.user.id);
    expect(notes.map((n) => [n.kind, n.data.dueAt])).toEqual([
      ['due_soon', task.dueAt],
      ['due_soon', moved.dueAt],
      ['overdue', moved.dueAt],
    ]);
  });

  it('leaves closed tasks and tasks without a due date alone', async () => {
    const { task, member, projectId, workspaceId } = await watchedTask(HOUR_MS);
    await member.api.tasks.update({
      taskId: task.id,
      expectedVersion: task.version,
      patch: { status: 'done' },
    });
    await member.api.tasks.create({ projectId, title: 'Someday' });
    clock.advance(2 * HOUR_MS);
    expect(await pass()).toEqual({ dueSoon: 0, overdue: 0 });
    expect(await reminderEvents(workspaceId)).toEqual([]);
  });

  it('sends each reminder once when passes run at the same time', async () => {
    const { member, workspaceId } = await watchedTask(HOUR_MS);
    const passes = await Promise.all([pass(), pass(), pass()]);
    expect(passes.reduce((sum, p) => sum + p.dueSoon, 0)).toBe(1);
    expect((await notificationsOf(member.user.id)).length).toBe(1);
    expect((await reminderEvents(workspaceId)).length).toBe(1);
  });

  it('takes at most `limit` tasks of a kind per pass, soonest first', async () => {
    const { member, projectId } = await watchedTask(3 * HOUR_MS);
    const sooner = await member.api.tasks.create({
      projectId,
      title: 'Sooner',
      dueAt: later(HOUR_MS),
    });
    const first = await runReminders(harness.db, clock.now(), { limit: 1 });
    expect(first).toEqual({ dueSoon: 1, overdue: 0 });
    const stored = await harness.db
      .selectFrom('tasks')
      .select('due_soon_sent_for')
      .where('id', '=', sooner.id)
      .executeTakeFirstOrThrow();
    expect(stored.due_soon_sent_for).toBe(sooner.dueAt);
    expect(await runReminders(harness.db, clock.now(), { limit: 1 })).toEqual({
      dueSoon: 1,
      overdue: 0,
    });
  });
});

describe('imported tasks', () => {
  it('count as reminded when their due date is already past', async () => {
    const { member, projectId, workspaceId } = await watchedTask(30 * HOUR_MS);
    const template = await member.api.tasks.create({ projectId, title: 'Template' });
    const row = (number: number, dueAt: string) => ({
      id: `imported-${number}`,
      workspaceId,
      projectId,
      number,
      title: `Imported ${number}`,
      description: '',
      status: template.status,
      stateId: template.stateId,
      priority: 0,
      assigneeId: null,
      dueAt,
      labels: [],
      parentId: null,
      createdBy: member.user.id,
      at: START.toISOString(),
    });
    await harness.db.transaction().execute((trx) =>
      insertTasks(trx, [row(101, later(-DUE_SOON_MS)), row(102, later(HOUR_MS))], {
        remindedAt: START.toISOString(),
      }),
    );
    // The one still ahead fires; the one past stays quiet.
    expect(await pass()).toEqual({ dueSoon: 1, overdue: 0 });
    const events = (await reminderEvents(workspaceId)).map((e) => e.taskId);
    expect(events).toEqual(['imported-102']);
  });
});

describe.runIf(testDatabaseDialect() === 'sqlite')('the reminder scan’s plan on SQLite', () => {
  it('reads each kind’s partial index, in due order', async () => {
    await team();
    for (const [kind, index] of [
      ['due_soon', 'tasks_due_soon_pending_idx'],
      ['overdue', 'tasks_overdue_pending_idx'],
    ] as const) {
      const plan = await sqlitePlan(
        harness.db,
        pendingRemindersQuery(harness.db, kind, later(0), 50),
      );
      expect(plan.join(' | ')).toMatch(
        new RegExp(`^SEARCH tasks USING INDEX ${index} \\((due_at>\\? AND )?due_at<\\?\\)$`),
      );
    }
  });
});

describe.runIf(testDatabaseDialect() === 'postgres')(
  'the reminder scan’s plan on PostgreSQL',
  () => {
    it('never scans tasks, beside a neighbour with 3,000 reminded tasks', async () => {
      const { owner } = await team();
      const neighbour = await fillNeighbourWorkspace(harness.db, owner.user.id);
      // As in production: most dated tasks were reminded long ago.
      await sql`update tasks set due_soon_sent_for = due_at, overdue_sent_for = due_at
        where workspace_id = ${neighbour}`.execute(harness.db);
      await sql`analyze tasks`.execute(harness.db);
      for (const kind of ['due_soon', 'overdue'] as const) {
        const query = pendingRemindersQuery(harness.db, kind, later(DUE_SOON_MS), 50);
        const nodes = await postgresPlan(harness.db, query.compile());
        expect(seqScansOf(nodes, 'tasks')).toEqual([]);
        expect(nodes.map((node) => node['Index Name']).filter(Boolean)).toEqual([
          `tasks_${kind}_pending_idx`,
        ]);
      }
    });
  },
);
