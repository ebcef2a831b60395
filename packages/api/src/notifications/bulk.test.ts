// A bulk change notifies as the same changes one by one would, in its one transaction, at a
// cost that grows with what it tells (measured: see the log line).
import { describe, expect, it } from 'vitest';
import { BULK_MAX_TASKS } from '../routers/tasks-bulk.js';
import { type Harness, harnessForEachTest } from '../test/harness.js';
import { START, taskFixtures } from '../test/task-fixtures.js';

let harness: Harness;
harnessForEachTest(START, (fresh) => {
  harness = fresh;
});
const { team, breakActivity } = taskFixtures(() => harness);

const notificationCount = async () =>
  Number(
    (
      await harness.db
        .selectFrom('notifications')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('tasks.bulkUpdate of the most tasks allowed', () => {
  it('tells every watcher of every task, and nothing when the change fails', async () => {
    const { owner, member, viewer, workspaceId, projectId } = await team();
    const ids: string[] = [];
    for (let i = 0; i < BULK_MAX_TASKS; i += 1) {
      const task = await owner.api.tasks.create({
        projectId,
        title: `Task ${i}`,
        assigneeId: viewer.user.id,
      });
      ids.push(task.id);
    }
    const before = await notificationCount();
    expect(before).toBe(BULK_MAX_TASKS);

    const quietStart = performance.now();
    await member.api.tasks.bulkUpdate({ workspaceId, taskIds: ids, patch: { priority: 1 } });
    const quietMs = performance.now() - quietStart;
    const loudStart = performance.now();
    await member.api.tasks.bulkUpdate({ workspaceId, taskIds: ids, patch: { status: 'done' } });
    const loudMs = performance.now() - loudStart;
    console.info(
      `bulkUpdate of ${BULK_MAX_TASKS} tasks: ${Math.round(quietMs)} ms telling nobody, ` +
        `${Math.round(loudMs)} ms telling 2 watchers each`,
    );

    // Owner (creator) and viewer (assignee) of each task hear of the state change.
    expect(await notificationCount()).toBe(before + 2 * BULK_MAX_TASKS);

    // A failure anywhere in the bulk change leaves no notification of it behind.
    await breakActivity('task.updated');
    await member.api.tasks
      .bulkUpdate({ workspaceId, taskIds: ids, patch: { status: 'todo' } })
      .catch(() => undefined);
    expect(await notificationCount()).toBe(before + 2 * BULK_MAX_TASKS);
  }, 300_000);
});
