// Sub-tasks through the router with a real database: parents in the same project, no
// cycles, at most 5 levels, the parent and child summary on tasks.get, the parentId
// filter, and deleting a parent only with `cascade: true`.
import { describe, expect, it } from 'vitest';
import { fieldErrorsOf } from '../errors.js';
import { type Harness, harnessForEachTest, rejection } from '../test/harness.js';
import { START, taskFixtures } from '../test/task-fixtures.js';

let harness: Harness;
harnessForEachTest(START, (fresh) => {
  harness = fresh;
});
const { team, activityOf } = taskFixtures(() => harness);

const fieldsOf = async (promise: Promise<unknown>) => {
  const error = await rejection(promise);
  expect(error.code).toBe('BAD_REQUEST');
  return Object.keys(fieldErrorsOf(error.cause) ?? {});
};

describe('sub-tasks', () => {
  it('links a sub-task to its parent: parentId, parent on tasks.get, and a child summary', async () => {
    const { member, projectId } = await team();
    const parent = await member.api.tasks.create({ projectId, title: 'Launch' });
    const child = await member.api.tasks.create({ projectId, title: 'Docs', parentId: parent.id });
    const other = await member.api.tasks.create({ projectId, title: 'Site', parentId: parent.id });
    await member.api.tasks.update({
      taskId: other.id,
      expectedVersion: 1,
      patch: { status: 'done' },
    });

    expect(child.parentId).toBe(parent.id);
    expect(await member.api.tasks.get({ taskId: child.id })).toMatchObject({
      parentId: parent.id,
      parent: { id: parent.id, key: parent.key, title: 'Launch' },
      children: { total: 0, done: 0 },
    });
    expect(await member.api.tasks.get({ taskId: parent.id })).toMatchObject({
      parentId: null,
      parent: null,
      children: { total: 2, done: 1 },
    });
  });

  it('moves a task under another and back to the top, recording the change', async () => {
    const { member, workspaceId, projectId } = await team();
    const a = await member.api.tasks.create({ projectId, title: 'A' });
    const b = await member.api.tasks.create({ projectId, title: 'B' });
    const moved = await member.api.tasks.update({
      taskId: b.id,
      expectedVersion: 1,
      patch: { parentId: a.id },
    });
    expect(moved).toMatchObject({ parentId: a.id, version: 2 });
    expect((await activityOf(workspaceId)).at(-1)?.data).toMatchObject({
      changes: { parentId: { from: null, to: a.id } },
    });
    const back = await member.api.tasks.update({
      taskId: b.id,
      expectedVersion: 2,
      patch: { parentId: null },
    });
    expect(back.parentId).toBeNull();
  });

  it('refuses a parent of another project or workspace, or an unknown one, on parentId', async () => {
    const { owner, member, outsider, workspaceId, projectId } = await team();
    const other = await owner.api.projects.create({ workspaceId, name: 'Ops', key: 'OPS' });
    const elsewhere = await member.api.tasks.create({ projectId: other.id, title: 'Ops task' });
    const theirs = await outsider.api.workspaces.create({ name: 'Theirs', slug: 'theirs' });
    const theirProject = await outsider.api.projects.create({
      workspaceId: theirs.id,
      name: 'T',
      key: 'THEM',
    });
    const theirTask = await outsider.api.tasks.create({ projectId: theirProject.id, title: 'X' });

    for (const parentId of [elsewhere.id, theirTask.id, 'no-such-task']) {
      expect(await fieldsOf(member.api.tasks.create({ projectId, title: 'C', parentId }))).toEqual([
        'parentId',
      ]);
    }
    const error = await rejection(
      member.api.tasks.create({ projectId, title: 'C', parentId: theirTask.id }),
    );
    // Another workspace's task reads like one that does not exist.
    expect(error.message).not.toContain('THEM');
    expect(fieldErrorsOf(error.cause)).toEqual({
      parentId: ['Must be a live task of this workspace (not one in the trash)'],
    });
  });

  it('refuses cycles: a task under itself or under one of its own sub-tasks', async () => {
    const { member, projectId } = await team();
    const a = await member.api.tasks.create({ projectId, title: 'A' });
    const b = await member.api.tasks.create({ projectId, title: 'B', parentId: a.id });
    const c = await member.api.tasks.create({ projectId, title: 'C', parentId: b.id });

    for (const parentId of [a.id, b.id, c.id]) {
      const update = member.api.tasks.update({
        taskId: a.id,
        expectedVersion: 1,
        patch: { parentId },
      });
      expect(await fieldsOf(update)).toEqual(['patch.parentId']);
    }
    expect((await member.api.tasks.get({ taskId: a.id })).version).toBe(1);
  });

  it('nests at most 5 levels below a top-level task, moving a whole subtree included', async () => {
    const { member, projectId } = await team();
    const chain = [await member.api.tasks.create({ projectId, title: 'L0' })];
    for (let level = 1; level <= 5; level += 1) {
      const parentId = chain.at(-1)?.id ?? '';
      chain.push(await member.api.tasks.create({ projectId, title: `L${level}`, parentId }));
    }
    const deepest = chain.at(-1)?.id ?? '';
    expect(
      await fieldsOf(member.api.tasks.create({ projectId, title: 'L6', parentId: deepest })),
    ).toEqual(['parentId']);

    // A task with one sub-task may go under level 3, not under level 4.
    const top = await member.api.tasks.create({ projectId, title: 'Top' });
    await member.api.tasks.create({ projectId, title: 'Under top', parentId: top.id });
    const level4 = chain[4]?.id ?? '';
    const tooDeep = member.api.tasks.update({
      taskId: top.id,
      expectedVersion: 1,
      patch: { parentId: level4 },
    });
    expect(await fieldsOf(tooDeep)).toEqual(['patch.parentId']);
    const moved = await member.api.tasks.update({
      taskId: top.id,
      expectedVersion: 1,
      patch: { parentId: chain[3]?.id ?? '' },
    });
    expect(moved.parentId).toBe(chain[3]?.id);
  });

  it('lists the sub-tasks of a task, or only top-level tasks', async () => {
    const { member, workspaceId, projectId } = await team();
    const parent = await member.api.tasks.create({ projectId, title: 'P' });
    const kid = await member.api.tasks.create({ projectId, title: 'K', parentId: parent.id });
    await member.api.tasks.create({ projectId, title: 'G', parentId: kid.id });

    const children = await member.api.tasks.list({ workspaceId, parentId: parent.id });
    expect(children.items.map((task) => task.title)).toEqual(['K']);
    const topLevel = await member.api.tasks.list({ workspaceId, parentId: null });
    expect(topLevel.items.map((task) => task.title)).toEqual(['P']);
  });

  it('deletes a parent with sub-tasks only with cascade: true, recording each deletion', async () => {
    const { member, workspaceId, projectId } = await team();
    const parent = await member.api.tasks.create({ projectId, title: 'P' });
    const kid = await member.api.tasks.create({ projectId, title: 'K', parentId: parent.id });
    const grandkid = await member.api.tasks.create({ projectId, title: 'G', parentId: kid.id });

    const refused = await rejection(member.api.tasks.delete({ taskId: parent.id }));
    expect(refused.code).toBe('CONFLICT');
    expect(refused.message).toBe(
      `Task ${parent.key} has 2 sub-tasks; delete them first, or pass cascade: true to delete them with it`,
    );
    expect((await member.api.tasks.get({ taskId: grandkid.id })).id).toBe(grandkid.id);

    expect(await member.api.tasks.delete({ taskId: parent.id, cascade: true })).toEqual({
      ok: true,
    });
    for (const task of [parent, kid, grandkid]) {
      expect((await rejection(member.api.tasks.get({ taskId: task.id }))).code).toBe('NOT_FOUND');
    }
    const deleted = (await activityOf(workspaceId))
      .filter((entry) => entry.type === 'task.deleted')
      .map((entry) => entry.task_id);
    // Deepest first, the task itself last.
    expect(deleted).toEqual([grandkid.id, kid.id, parent.id]);
  });
});
