import { testDatabaseDialect } from '@trellis/db/testing';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { recordActivity, writeInWorkspace } from './activity.js';
import { lockWorkspace } from './queries/activity.js';
import { type Harness, harnessForEachTest, rejection, type TestClock } from './test/harness.js';
import { START, taskFixtures } from './test/task-fixtures.js';

// The time of a change is taken once its workspace's write lock is held, and never before
// the newest entry's: log order, entry times and a task's updatedAt (in version order)
// agree, whatever the order requests started in and whichever clock they read.

let harness: Harness;
let clock: TestClock;
harnessForEachTest(START, (fresh, freshClock) => {
  harness = fresh;
  clock = freshClock;
});
const { team, activityOf } = taskFixtures(() => harness);

const SECOND_MS = 1000;

/** The workspace's entry times in log order. */
async function entryTimes(workspaceId: string): Promise<string[]> {
  const rows = await harness.db
    .selectFrom('activity')
    .select('created_at')
    .where('workspace_id', '=', workspaceId)
    .orderBy('workspace_seq')
    .execute();
  return rows.map((row) => row.created_at);
}

const sorted = (times: string[]) => [...times].sort();

describe('the time of a change', () => {
  it('is never before the newest entry, even from a clock that is behind', async () => {
    const { owner, workspaceId, projectId } = await team();
    // Another process, whose clock is ten seconds ahead, wrote first.
    clock.advance(10 * SECOND_MS);
    const ahead = clock.now().toISOString();
    const task = await owner.api.tasks.create({ projectId, title: 'Raced' });
    clock.advance(-10 * SECOND_MS);

    const updated = await owner.api.tasks.update({
      taskId: task.id,
      expectedVersion: 1,
      patch: { status: 'done' },
    });
    const comment = await owner.api.comments.create({ taskId: task.id, body: 'Behind' });

    expect(updated.updatedAt).toBe(ahead);
    expect(updated.completedAt).toBe(ahead);
    expect(comment.createdAt).toBe(ahead);
    const times = await entryTimes(workspaceId);
    expect(times.slice(-3)).toEqual([ahead, ahead, ahead]);
    expect(times).toEqual(sorted(times));
  });

  it('keeps an edited comment edited, and the log in order after it', async () => {
    const { owner, workspaceId, projectId } = await team();
    const task = await owner.api.tasks.create({ projectId, title: 'Talked about' });
    const comment = await owner.api.comments.create({ taskId: task.id, body: 'First' });
    // Edited within the millisecond it was posted in: updatedAt moves on by 1 ms, and so
    // does the entry, so what follows in the log cannot be earlier than the edit.
    const edited = await owner.api.comments.update({ commentId: comment.id, body: 'Second' });
    await owner.api.tasks.update({ taskId: task.id, expectedVersion: 1, patch: { priority: 2 } });

    expect(edited.edited).toBe(true);
    expect(Date.parse(edited.updatedAt)).toBe(Date.parse(comment.createdAt) + 1);
    const log = await activityOf(workspaceId);
    expect(log.at(-2)).toMatchObject({ type: 'comment.updated', created_at: edited.updatedAt });
    expect(log.at(-1)).toMatchObject({ type: 'task.updated', created_at: edited.updatedAt });
  });

  it('is NOT_FOUND when the workspace is gone', async () => {
    const { owner } = await team();
    const { id } = await owner.api.workspaces.create({ name: 'Short-lived', slug: 'brief' });
    await harness.db.deleteFrom('workspaces').where('id', '=', id).execute();

    const error = await rejection(
      writeInWorkspace(harness.db, id, clock.now, async () => 'written'),
    );
    expect(error).toMatchObject({ code: 'NOT_FOUND', message: 'Workspace not found' });
  });

  // SQLite has one connection per process: a second writer cannot start before the first
  // ends. Two processes on either dialect: apps/server/test/time-order.test.ts.
  it.runIf(testDatabaseDialect() === 'postgres')(
    'is taken after the writer it waited for, not when its request started',
    async () => {
      const { owner, workspaceId, projectId } = await team();
      const task = await owner.api.tasks.create({ projectId, title: 'Contended' });
      let locked = () => {};
      const holding = new Promise<void>((resolve) => {
        locked = resolve;
      });
      let release = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      // Writer A holds the workspace's lock, and writes once B is waiting for it.
      const first = harness.db.transaction().execute(async (trx) => {
        await lockWorkspace(trx, workspaceId);
        locked();
        await released;
        const entry = { workspaceId, actor: null, type: 'task.updated' as const, data: {} };
        return recordActivity(trx, entry, clock.now());
      });
      await holding;
      const second = owner.api.tasks.update({
        taskId: task.id,
        expectedVersion: 1,
        patch: { title: 'Waited' },
      });
      await waitForLockWaiter();
      clock.advance(SECOND_MS);
      release();
      await first;
      const updated = await second;

      const later = new Date(START.getTime() + SECOND_MS).toISOString();
      expect(updated.updatedAt).toBe(later);
      const times = await entryTimes(workspaceId);
      expect(times.slice(-2)).toEqual([later, later]);
      expect(times).toEqual(sorted(times));
    },
  );
});

/** Resolves once a session of this database waits for a lock (PostgreSQL). */
async function waitForLockWaiter(): Promise<void> {
  for (;;) {
    const { rows } = await sql<{ waiting: number | string }>`
      select count(*) as waiting from pg_stat_activity
      where datname = current_database() and wait_event_type = 'Lock'`.execute(harness.db);
    if (Number(rows[0]?.waiting ?? 0) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
