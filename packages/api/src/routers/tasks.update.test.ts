// tasks.update through the router with a real database: what it stores and logs, who may call it.
import { describe, expect, it } from 'vitest';
import { fieldErrorsOf } from '../errors.js';
import { type Harness, harnessForEachTest, rejection, type TestClock } from '../test/harness.js';
import { asDetail, at, MINUTE_MS, START, taskFixtures } from '../test/task-fixtures.js';

let harness: Harness;
let clock: TestClock;

harnessForEachTest(START, (fresh, freshClock) => {
  harness = fresh;
  clock = freshClock;
});
const { team, apiToken, activityOf, taskEvents, storedTask, breakActivity } = taskFixtures(
  () => harness,
);

describe('tasks.update', () => {
  it('applies the patch, bumps the version and logs the changed fields before → after', async () => {
    const { member, viewer, workspaceId, projectId } = await team();
    const task = await member.api.tasks.create({
      projectId,
      title: 'Draft',
      description: 'Same',
      labels: ['bug'],
    });
    clock.advance(MINUTE_MS);

    const updated = await member.api.tasks.update({
      taskId: task.id,
      expectedVersion: 1,
      patch: {
        title: ' Final ',
        description: 'Same',
        status: 'in_progress',
        priority: 2,
        assigneeId: viewer.user.id,
        labels: ['ui', 'bug', 'ui'],
        dueAt: '2030-07-01T00:00:00Z',
      },
    });

    const states = await member.api.projects.states.list({ projectId });
    const started = states.find((s) => s.category === 'started');
    expect(updated).toEqual({
      ...task,
      title: 'Final',
      status: 'in_progress',
      stateId: started?.id,
      priority: 2,
      assigneeId: viewer.user.id,
      labels: ['bug', 'ui'],
      dueAt: '2030-07-01T00:00:00.000Z',
      version: 2,
      updatedAt: at(1),
    });
    expect(await member.api.tasks.get({ taskId: task.id })).toEqual(asDetail(updated));
    expect((await activityOf(workspaceId)).at(-1)).toEqual({
      type: 'task.updated',
      project_id: projectId,
      task_id: task.id,
      actor_id: member.user.id,
      api_token_id: null,
      data: {
        changes: {
          title: { from: 'Draft', to: 'Final' },
          status: { from: 'todo', to: 'in_progress' },
          stateId: { from: task.stateId, to: started?.id },
          priority: { from: 0, to: 2 },
          assigneeId: { from: null, to: viewer.user.id },
          labels: { from: ['bug'], to: ['bug', 'ui'] },
          dueAt: { from: null, to: '2030-07-01T00:00:00.000Z' },
        },
        task: updated,
      },
      created_at: at(1),
    });
  });

  it('unassigns, clears the due date and empties the labels with null and []', async () => {
    const { member, projectId } = await team();
    const task = await member.api.tasks.create({
      projectId,
      title: 'Busy',
      assigneeId: member.user.id,
      dueAt: '2030-07-01T00:00:00Z',
      labels: ['a', 'b'],
    });

    const updated = await member.api.tasks.update({
      taskId: task.id,
      expectedVersion: 1,
      patch: { assigneeId: null, dueAt: null, labels: [] },
    });

    expect(updated).toMatchObject({ assigneeId: null, dueAt: null, labels: [], version: 2 });
    expect(await storedTask(task.id)).toMatchObject({
      assignee_id: null,
      due_at: null,
      labels: [],
    });
  });

  it('sets completedAt when the task becomes done and clears it when it leaves done', async () => {
    const { member, projectId } = await team();
    const task = await member.api.tasks.create({ projectId, title: 'Work' });
    clock.advance(MINUTE_MS);
    const done = await member.api.tasks.update({
      taskId: task.id,
      expectedVersion: 1,
      patch: { status: 'done' },
    });
    clock.advance(MINUTE_MS);
    const retitled = await member.api.tasks.update({
      taskId: task.id,
      expectedVersion: 2,
      patch: { title: 'Work, done' },
    });
    const reopened = await member.api.tasks.update({
      taskId: task.id,
      expectedVersion: 3,
      patch: { status: 'canceled' },
    });

    expect(done.completedAt).toBe(at(1));
    expect(retitled.completedAt).toBe(at(1));
    expect(reopened.completedAt).toBeNull();
  });

  it('refuses a stale expectedVersion with CONFLICT and writes nothing', async () => {
    const { member, workspaceId, projectId } = await team();
    const task = await member.api.tasks.create({ projectId, title: 'Original', labels: ['a'] });
    clock.advance(MINUTE_MS);
    const current = await member.api.tasks.update({
      taskId: task.id,
      expectedVersion: 1,
      patch: { title: 'Edited by Mia' },
    });
    const rowBefore = await storedTask(task.id);
    const logBefore = await activityOf(workspaceId);
    clock.advance(MINUTE_MS);

    const error = await rejection(
      member.api.tasks.update({
        taskId: task.id,
        expectedVersion: 1,
        patch: { title: 'Stale edit', labels: ['b'], status: 'done' },
      }),
    );

    expect([error.code, error.message]).toEqual([
      'CONFLICT',
      'Task ENG-1 was changed by someone else since version 1; reload it and try again',
    ]);
    expect(await storedTask(task.id)).toEqual(rowBefore);
    expect(rowBefore).toMatchObject({
      title: 'Edited by Mia',
      version: 2,
      labels: ['a'],
      updated_at: at(1),
    });
    expect(await activityOf(workspaceId)).toEqual(logBefore);
    expect(await member.api.tasks.get({ taskId: task.id })).toEqual(asDetail(current));
  });

  it('lets exactly one of two concurrent edits of the same version win', async () => {
    const { owner, member, projectId } = await team();
    const task = await member.api.tasks.create({ projectId, title: 'Contested' });

    const outcomes = await Promise.allSettled([
      member.api.tasks.update({ taskId: task.id, expectedVersion: 1, patch: { title: 'Mia' } }),
      owner.api.tasks.update({ taskId: task.id, expectedVersion: 1, patch: { title: 'Olive' } }),
    ]);

    const won = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome] : []));
    const lost = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome] : []));
    expect([won.length, lost.length]).toEqual([1, 1]);
    expect(lost[0]?.reason).toMatchObject({ code: 'CONFLICT' });
    const stored = await storedTask(task.id);
    expect(stored).toMatchObject({ version: 2, title: won[0]?.value.title });
  });

  it('refuses an empty patch with a field error on patch', async () => {
    const { member, projectId } = await team();
    const task = await member.api.tasks.create({ projectId, title: 'Untouched' });

    const error = await rejection(
      member.api.tasks.update({ taskId: task.id, expectedVersion: 1, patch: {} }),
    );

    expect(error.code).toBe('BAD_REQUEST');
    expect(fieldErrorsOf(error.cause)).toEqual({ patch: ['Nothing to change'] });
  });

  it('returns the task unchanged for a patch that changes nothing: no new version, no log', async () => {
    const { member, workspaceId, projectId } = await team();
    const task = await member.api.tasks.create({ projectId, title: 'Same', labels: ['b', 'a'] });
    clock.advance(MINUTE_MS);

    const same = await member.api.tasks.update({
      taskId: task.id,
      expectedVersion: 1,
      patch: { title: 'Same ', labels: ['a', 'b', 'a'], status: 'todo', assigneeId: null },
    });

    expect(same).toEqual(task);
    expect(await taskEvents(workspaceId, task.id)).toEqual(['task.created']);
  });

  it('still checks the version of a patch that changes nothing', async () => {
    const { member, projectId } = await team();
    const task = await member.api.tasks.create({ projectId, title: 'Same' });
    await member.api.tasks.update({ taskId: task.id, expectedVersion: 1, patch: { priority: 1 } });

    const error = await rejection(
      member.api.tasks.update({ taskId: task.id, expectedVersion: 1, patch: { priority: 1 } }),
    );

    expect(error.code).toBe('CONFLICT');
  });

  it('refuses a non-member assignee (400 on patch.assigneeId) and writes nothing', async () => {
    const { member, outsider, workspaceId, projectId } = await team();
    const task = await member.api.tasks.create({ projectId, title: 'Keep' });
    const rowBefore = await storedTask(task.id);

    const error = await rejection(
      member.api.tasks.update({
        taskId: task.id,
        expectedVersion: 1,
        patch: { title: 'Changed', assigneeId: outsider.user.id },
      }),
    );

    expect(error.code).toBe('BAD_REQUEST');
    expect(fieldErrorsOf(error.cause)).toEqual({
      'patch.assigneeId': ['Must be a member of this workspace'],
    });
    expect(await storedTask(task.id)).toEqual(rowBefore);
    expect(await taskEvents(workspaceId, task.id)).toEqual(['task.created']);
  });

  it('keeps working on a task whose assignee has left, as long as the patch keeps the assignee', async () => {
    const { owner, member, workspaceId, projectId } = await team();
    const leaver = await harness.signUpUser('Lee Leaver');
    await harness.addMember(workspaceId, leaver.user.id, 'member');
    const task = await member.api.tasks.create({
      projectId,
      title: 'Orphan',
      assigneeId: leaver.user.id,
    });
    await owner.api.members.remove({ workspaceId, userId: leaver.user.id });

    const updated = await member.api.tasks.update({
      taskId: task.id,
      expectedVersion: 1,
      patch: { title: 'Orphan, renamed', assigneeId: leaver.user.id },
    });

    expect(updated).toMatchObject({ title: 'Orphan, renamed', assigneeId: leaver.user.id });
  });

  it('writes the change and its log entry in one transaction: no entry, no change', async () => {
    const { member, projectId } = await team();
    const task = await member.api.tasks.create({ projectId, title: 'Before', labels: ['a'] });
    const rowBefore = await storedTask(task.id);
    await breakActivity('task.updated');

    const error = await rejection(
      member.api.tasks.update({
        taskId: task.id,
        expectedVersion: 1,
        patch: { title: 'After', labels: ['b'], status: 'done' },
      }),
    );

    expect(error.code).toBe('INTERNAL_SERVER_ERROR');
    expect(await storedTask(task.id)).toEqual(rowBefore);
  });

  it('is for members: viewers and read tokens get FORBIDDEN, other workspaces NOT_FOUND', async () => {
    const { owner, member, viewer, outsider, workspaceId, projectId } = await team();
    const task = await member.api.tasks.create({ projectId, title: 'Guarded' });
    const reader = await apiToken(owner, workspaceId, 'read');
    const writer = await apiToken(owner, workspaceId, 'write');
    const input = { taskId: task.id, expectedVersion: 1, patch: { title: 'Hijacked' } };

    const byViewer = await rejection(viewer.api.tasks.update(input));
    const byReader = await rejection(reader.api.tasks.update(input));
    const byOutsider = await rejection(outsider.api.tasks.update(input));
    const byWriter = await writer.api.tasks.update({ ...input, patch: { title: 'By bot' } });

    expect([byViewer.code, byReader.code, byOutsider.code]).toEqual([
      'FORBIDDEN',
      'FORBIDDEN',
      'NOT_FOUND',
    ]);
    expect(byWriter).toMatchObject({ title: 'By bot', version: 2 });
  });
});
