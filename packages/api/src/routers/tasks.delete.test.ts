// tasks.delete through the router with a real database: what it stores and logs, who may call it.
import { newId } from '@trellis/db';
import { describe, expect, it } from 'vitest';
import { type Harness, harnessForEachTest, rejection, type TestClock } from '../test/harness.js';
import { asDetail, at, MINUTE_MS, START, taskFixtures } from '../test/task-fixtures.js';

let harness: Harness;
let clock: TestClock;

harnessForEachTest(START, (fresh, freshClock) => {
  harness = fresh;
  clock = freshClock;
});
const { team, apiToken, activityOf, storedTask, breakActivity } = taskFixtures(() => harness);

describe('tasks.delete', () => {
  it('moves the task with its labels and comments to the trash, logging it as it was', async () => {
    const { member, workspaceId, projectId } = await team();
    const task = await member.api.tasks.create({ projectId, title: 'Doomed', labels: ['x'] });
    await harness.db
      .insertInto('comments')
      .values({
        id: newId(),
        workspace_id: workspaceId,
        task_id: task.id,
        author_id: member.user.id,
        body: 'Last words',
        created_at: START.toISOString(),
        updated_at: START.toISOString(),
      })
      .execute();
    clock.advance(MINUTE_MS);

    const result = await member.api.tasks.delete({ taskId: task.id });

    expect(result).toEqual({ ok: true });
    expect(await storedTask(task.id)).toBeUndefined();
    expect(await harness.db.selectFrom('task_labels').select('label').execute()).toEqual([]);
    expect(await harness.db.selectFrom('comments').select('id').execute()).toEqual([]);
    // They live on in the trash (tasks.trash.test.ts restores them).
    const trashed = await harness.db.selectFrom('trashed_tasks').select('task_id').execute();
    expect(trashed).toEqual([{ task_id: task.id }]);
    expect((await rejection(member.api.tasks.get({ taskId: task.id }))).code).toBe('NOT_FOUND');
    expect((await activityOf(workspaceId)).at(-1)).toEqual({
      type: 'task.deleted',
      project_id: projectId,
      task_id: task.id,
      actor_id: member.user.id,
      api_token_id: null,
      data: { task },
      created_at: at(1),
    });
  });

  it('is NOT_FOUND the second time', async () => {
    const { member, projectId } = await team();
    const task = await member.api.tasks.create({ projectId, title: 'Once' });
    await member.api.tasks.delete({ taskId: task.id });

    const error = await rejection(member.api.tasks.delete({ taskId: task.id }));

    expect(error.code).toBe('NOT_FOUND');
  });

  it('deletes the task and logs it in one transaction: no entry, no deletion', async () => {
    const { member, projectId } = await team();
    const task = await member.api.tasks.create({ projectId, title: 'Survivor', labels: ['s'] });
    await breakActivity('task.deleted');

    const error = await rejection(member.api.tasks.delete({ taskId: task.id }));

    expect(error.code).toBe('INTERNAL_SERVER_ERROR');
    expect(await member.api.tasks.get({ taskId: task.id })).toEqual(asDetail(task));
  });

  it('is for members: viewers and read tokens get FORBIDDEN, other workspaces NOT_FOUND', async () => {
    const { owner, member, viewer, outsider, workspaceId, projectId } = await team();
    const task = await member.api.tasks.create({ projectId, title: 'Guarded' });
    const reader = await apiToken(owner, workspaceId, 'read');

    const byViewer = await rejection(viewer.api.tasks.delete({ taskId: task.id }));
    const byReader = await rejection(reader.api.tasks.delete({ taskId: task.id }));
    const byOutsider = await rejection(outsider.api.tasks.delete({ taskId: task.id }));

    expect([byViewer.code, byReader.code, byOutsider.code]).toEqual([
      'FORBIDDEN',
      'FORBIDDEN',
      'NOT_FOUND',
    ]);
    expect(await member.api.tasks.get({ taskId: task.id })).toEqual(asDetail(task));
  });
});
