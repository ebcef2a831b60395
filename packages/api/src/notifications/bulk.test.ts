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

describe('two bulk changes in two workspaces telling the same people', () => {
  // Each writes its notifications once, locking the recipients' inbox rows in one order:
  // written task by task, one would lock X then Y while the other locks Y then X, and
  // PostgreSQL would fail one of them as a deadlock.
  it('both commit, whatever order their tasks name the people in', async () => {
    const { owner, member, viewer, workspaceId, projectId } = await team();
    const other = await owner.api.workspaces.create({ name: 'Beta', slug: 'beta' });
    await harness.addMember(other.id, member.user.id, 'member');
    await harness.addMember(other.id, viewer.user.id, 'viewer');
    const otherProject = await owner.api.projects.create({
      workspaceId: other.id,
      name: 'Ops',
      key: 'OPS',
    });
    const make = async (project: string, people: string[]) => {
      const ids: string[] = [];
      for (const assigneeId of people) {
        ids.push((await owner.api.tasks.create({ projectId: project, title: 'T', assigneeId })).id);
      }
      return ids;
    };
    const x = member.user.id;
    const y = viewer.user.id;
    const first = await make(projectId, [x, y, x, y]);
    const second = await make(otherProject.id, [y, x, y, x]);
    const before = await notificationCount();
    const statuses = ['in_progress', 'todo'] as const;
    for (let round = 0; round < 10; round += 1) {
      const status = statuses[round % 2];
      await Promise.all([
        owner.api.tasks.bulkUpdate({ workspaceId, taskIds: first, patch: { status } }),
        owner.api.tasks.bulkUpdate({ workspaceId: other.id, taskIds: second, patch: { status } }),
      ]);
    }
    // Every state change told its assignee (the owner made them: owner is not told).
    expect(await notificationCount()).toBe(before + 10 * 8);
  }, 120_000);
});
