// tasks.bulkUpdate / tasks.bulkDelete through the router with a real database: every task
// changed as tasks.update / tasks.delete would change it, in one transaction, or none.
import { describe, expect, it } from 'vitest';
import { fieldErrorsOf } from '../errors.js';
import { type Harness, harnessForEachTest, rejection } from '../test/harness.js';
import { START, taskFixtures } from '../test/task-fixtures.js';

let harness: Harness;
harnessForEachTest(START, (fresh) => {
  harness = fresh;
});
const { team, activityOf } = taskFixtures(() => harness);

async function threeTasks() {
  const world = await team();
  const { member, projectId } = world;
  const tasks = [];
  for (const title of ['A', 'B', 'C']) {
    tasks.push(await member.api.tasks.create({ projectId, title, labels: ['old'] }));
  }
  return { ...world, tasks, ids: tasks.map((t) => t.id) };
}

const fieldsOf = async (promise: Promise<unknown>) => {
  const error = await rejection(promise);
  expect(error.code).toBe('BAD_REQUEST');
  return fieldErrorsOf(error.cause) ?? {};
};

describe('tasks.bulkUpdate', () => {
  it('edits every task: version + 1 and one task.updated each, in the order named', async () => {
    const { member, workspaceId, ids } = await threeTasks();
    const before = (await activityOf(workspaceId)).length;
    const reversed = [...ids].reverse();
    const { items } = await member.api.tasks.bulkUpdate({
      workspaceId,
      taskIds: reversed,
      patch: { priority: 3, addLabels: ['ui'], removeLabels: ['old'], status: 'in_progress' },
    });
    expect(items.map((t) => t.id)).toEqual(reversed);
    for (const task of items) {
      expect(task).toMatchObject({
        priority: 3,
        labels: ['ui'],
        status: 'in_progress',
        version: 2,
      });
    }
    const log = (await activityOf(workspaceId)).slice(before);
    expect(log.map((e) => [e.type, e.task_id])).toEqual(reversed.map((id) => ['task.updated', id]));
    expect(log[0]?.data.changes).toMatchObject({
      priority: { from: 0, to: 3 },
      labels: { from: ['old'], to: ['ui'] },
      status: { from: 'todo', to: 'in_progress' },
    });
  });

  it('changes nothing when one task is not in the workspace, naming its place', async () => {
    const { owner, member, workspaceId, ids } = await threeTasks();
    const elsewhere = await owner.api.workspaces.create({ name: 'Other', slug: 'other' });
    const project = await owner.api.projects.create({
      workspaceId: elsewhere.id,
      name: 'Other',
      key: 'OTH',
    });
    const foreign = await owner.api.tasks.create({ projectId: project.id, title: 'Theirs' });
    const before = await activityOf(workspaceId);
    const errors = await fieldsOf(
      member.api.tasks.bulkUpdate({
        workspaceId,
        taskIds: [ids[0] ?? '', ids[1] ?? '', foreign.id],
        patch: { priority: 4 },
      }),
    );
    expect(Object.keys(errors)).toEqual(['taskIds.2']);
    expect(await activityOf(workspaceId)).toEqual(before);
    for (const id of ids) {
      expect(await member.api.tasks.get({ taskId: id })).toMatchObject({ priority: 0, version: 1 });
    }
    expect(await owner.api.tasks.get({ taskId: foreign.id })).toMatchObject({ version: 1 });
  });

  it('rolls back every edit when one task breaks a rule, and names that task', async () => {
    const { member, workspaceId, ids, tasks } = await threeTasks();
    // Making C the parent of A, B and C: C cannot be its own parent.
    const error = await fieldsOf(
      member.api.tasks.bulkUpdate({ workspaceId, taskIds: ids, patch: { parentId: ids[2] } }),
    );
    expect(Object.keys(error)).toEqual(['patch.parentId']);
    for (const task of tasks) {
      expect(await member.api.tasks.get({ taskId: task.id })).toMatchObject({
        parentId: null,
        version: 1,
      });
    }
  });

  it('refuses the whole change when any expected version is stale, naming those tasks', async () => {
    const { member, workspaceId, ids, tasks } = await threeTasks();
    await member.api.tasks.update({
      taskId: tasks[1]?.id ?? '',
      expectedVersion: 1,
      patch: { title: 'B2' },
    });
    const error = await rejection(
      member.api.tasks.bulkUpdate({
        workspaceId,
        taskIds: ids,
        patch: { priority: 2 },
        expectedVersions: { [ids[0] ?? '']: 1, [ids[1] ?? '']: 1 },
      }),
    );
    expect(error.code).toBe('CONFLICT');
    expect(error.message).toContain(`Task ${tasks[1]?.key} was changed`);
    expect(await member.api.tasks.get({ taskId: ids[0] ?? '' })).toMatchObject({ version: 1 });
    const other = await fieldsOf(
      member.api.tasks.bulkUpdate({
        workspaceId,
        taskIds: [ids[0] ?? ''],
        patch: { priority: 2 },
        expectedVersions: { [ids[2] ?? '']: 1 },
      }),
    );
    expect(Object.keys(other)).toEqual([`expectedVersions.${ids[2]}`]);
  });

  it('takes at most 500 distinct tasks and a patch that changes something', async () => {
    const { member, viewer, workspaceId, ids } = await threeTasks();
    const many = Array.from({ length: 501 }, (_, i) => `t${i}`);
    expect(
      Object.keys(
        await fieldsOf(
          member.api.tasks.bulkUpdate({ workspaceId, taskIds: many, patch: { priority: 1 } }),
        ),
      ),
    ).toEqual(['taskIds']);
    const twice = [ids[0] ?? '', ids[0] ?? ''];
    expect(
      Object.keys(
        await fieldsOf(
          member.api.tasks.bulkUpdate({ workspaceId, taskIds: twice, patch: { priority: 1 } }),
        ),
      ),
    ).toEqual(['taskIds']);
    expect(
      Object.keys(
        await fieldsOf(member.api.tasks.bulkUpdate({ workspaceId, taskIds: ids, patch: {} })),
      ),
    ).toEqual(['patch']);
    const forbidden = await rejection(
      viewer.api.tasks.bulkUpdate({ workspaceId, taskIds: ids, patch: { priority: 1 } }),
    );
    expect(forbidden.code).toBe('FORBIDDEN');
  });
});

describe('tasks.bulkDelete', () => {
  it('moves every task to the trash with one task.deleted each, or none', async () => {
    const { member, workspaceId, projectId, ids } = await threeTasks();
    const parent = await member.api.tasks.create({ projectId, title: 'Parent' });
    const child = await member.api.tasks.create({ projectId, title: 'Child', parentId: parent.id });

    const refused = await rejection(
      member.api.tasks.bulkDelete({ workspaceId, taskIds: [ids[0] ?? '', parent.id] }),
    );
    expect(refused.code).toBe('CONFLICT');
    expect(await member.api.tasks.get({ taskId: ids[0] ?? '' })).toMatchObject({ version: 1 });

    const before = (await activityOf(workspaceId)).length;
    // The child named beside its parent goes with it: no cascade needed.
    expect(
      await member.api.tasks.bulkDelete({ workspaceId, taskIds: [...ids, parent.id, child.id] }),
    ).toEqual({ ok: true, deleted: 5 });
    const log = (await activityOf(workspaceId)).slice(before);
    expect(log.map((e) => e.type)).toEqual(Array(5).fill('task.deleted'));
    for (const id of [...ids, parent.id, child.id]) {
      expect((await rejection(member.api.tasks.get({ taskId: id }))).code).toBe('NOT_FOUND');
    }
    const trash = await member.api.tasks.list({ workspaceId, trashed: true });
    expect(trash.items).toHaveLength(5);
  });

  it('trashes named sub-tasks with their named parent, whatever the order, so one restore brings all', async () => {
    const { member, workspaceId, projectId } = await team();
    const p = await member.api.tasks.create({ projectId, title: 'P' });
    const c1 = await member.api.tasks.create({ projectId, title: 'C1', parentId: p.id });
    const g = await member.api.tasks.create({ projectId, title: 'G', parentId: c1.id });
    const c2 = await member.api.tasks.create({ projectId, title: 'C2', parentId: p.id });
    const all = [c2.id, g.id, c1.id, p.id];
    expect(await member.api.tasks.bulkDelete({ workspaceId, taskIds: all })).toEqual({
      ok: true,
      deleted: 4,
    });
    await member.api.tasks.restore({ taskId: p.id });
    for (const id of all) {
      expect((await member.api.tasks.get({ taskId: id })).id).toBe(id);
    }
  });
});
