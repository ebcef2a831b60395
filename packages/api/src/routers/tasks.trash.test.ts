// The trash through the router with a real database: tasks.delete moves tasks in,
// tasks.restore brings them back, tasks.list {trashed: true} lists them, the purge ends them.
import { newId } from '@trellis/db';
import { describe, expect, it } from 'vitest';
import { purgeTrash } from '../queries/trash.js';
import type { RouterInputs } from '../root.js';
import { type Harness, harnessForEachTest, rejection, type TestClock } from '../test/harness.js';
import { at, MINUTE_MS, START, taskFixtures } from '../test/task-fixtures.js';

let harness: Harness;
let clock: TestClock;

harnessForEachTest(START, (fresh, freshClock) => {
  harness = fresh;
  clock = freshClock;
});
const { team, apiToken, activityOf, storedTask, breakActivity } = taskFixtures(() => harness);

async function comment(workspaceId: string, taskId: string, authorId: string, body: string) {
  const id = newId();
  await harness.db
    .insertInto('comments')
    .values({
      id,
      workspace_id: workspaceId,
      task_id: taskId,
      author_id: authorId,
      body,
      created_at: START.toISOString(),
      updated_at: START.toISOString(),
    })
    .execute();
  return id;
}

/** The ids of the workspace's trashed tasks, sorted. */
async function trashIds(workspaceId: string) {
  const rows = await harness.db
    .selectFrom('trashed_tasks')
    .select('task_id')
    .where('workspace_id', '=', workspaceId)
    .orderBy('task_id')
    .execute();
  return rows.map((row) => row.task_id);
}

describe('tasks.delete moves to the trash', () => {
  it('keeps the task with its labels, comments and relations until restored', async () => {
    const { member, workspaceId, projectId } = await team();
    const task = await member.api.tasks.create({ projectId, title: 'Doomed', labels: ['x'] });
    const other = await member.api.tasks.create({ projectId, title: 'Other' });
    await member.api.tasks.relations.add({
      taskId: other.id,
      type: 'blocks',
      otherTaskId: task.id,
    });
    const commentId = await comment(workspaceId, task.id, member.user.id, 'Last words');
    clock.advance(MINUTE_MS);

    await member.api.tasks.delete({ taskId: task.id });

    expect(await storedTask(task.id)).toBeUndefined();
    expect(await trashIds(workspaceId)).toEqual([task.id]);
    const trash = await member.api.tasks.list({ workspaceId, trashed: true });
    expect(trash).toEqual({
      items: [{ ...task, deletedAt: at(1), deletedBy: member.user.id }],
      nextCursor: null,
    });
    expect((await rejection(member.api.tasks.get({ taskId: task.id }))).code).toBe('NOT_FOUND');
    expect((await rejection(member.api.tasks.delete({ taskId: task.id }))).code).toBe('NOT_FOUND');
    const patch = { taskId: task.id, expectedVersion: 1, patch: { title: 'x' } };
    expect((await rejection(member.api.tasks.update(patch))).code).toBe('NOT_FOUND');
    const comments = member.api.comments.list({ taskId: task.id });
    expect((await rejection(comments)).code).toBe('NOT_FOUND');
    expect((await member.api.tasks.get({ taskId: other.id })).relations.blocks).toEqual([]);
    clock.advance(MINUTE_MS);

    const restored = await member.api.tasks.restore({ taskId: task.id });

    expect(restored).toEqual({ ...task, version: 2, updatedAt: at(2) });
    expect(await trashIds(workspaceId)).toEqual([]);
    const detail = await member.api.tasks.get({ taskId: task.id });
    expect(detail.labels).toEqual(['x']);
    expect(detail.relations.blockedBy.map((ref) => ref.id)).toEqual([other.id]);
    const back = await member.api.comments.list({ taskId: task.id });
    expect(back.items.map((c) => [c.id, c.body, c.authorId])).toEqual([
      [commentId, 'Last words', member.user.id],
    ]);
    expect((await activityOf(workspaceId)).at(-1)).toEqual({
      type: 'task.restored',
      project_id: projectId,
      task_id: task.id,
      actor_id: member.user.id,
      api_token_id: null,
      data: { task: restored },
      created_at: at(2),
    });
  });

  it('moves sub-tasks deleted with cascade, and brings them back parents first', async () => {
    const { member, workspaceId, projectId } = await team();
    const parent = await member.api.tasks.create({ projectId, title: 'Parent' });
    const child = await member.api.tasks.create({ projectId, title: 'Child', parentId: parent.id });
    const grandchild = await member.api.tasks.create({
      projectId,
      title: 'Grandchild',
      parentId: child.id,
    });
    // A relation between two tasks trashed together comes back once.
    await member.api.tasks.relations.add({
      taskId: child.id,
      type: 'relates',
      otherTaskId: grandchild.id,
    });
    await member.api.tasks.delete({ taskId: parent.id, cascade: true });
    expect(await trashIds(workspaceId)).toEqual([parent.id, child.id, grandchild.id].sort());

    const refused = await rejection(member.api.tasks.restore({ taskId: grandchild.id }));
    expect(refused.code).toBe('CONFLICT');
    expect(refused.message).toMatch(/^Restore ENG-2 first/);

    await member.api.tasks.restore({ taskId: parent.id });

    const entries = (await activityOf(workspaceId)).filter((e) => e.type === 'task.restored');
    expect(entries.map((e) => e.task_id)).toEqual([parent.id, child.id, grandchild.id]);
    const family = await member.api.tasks.get({ taskId: child.id });
    expect(family.parent?.id).toBe(parent.id);
    expect(family.children).toEqual({ total: 1, done: 0 });
    expect(family.relations.relates.map((ref) => ref.id)).toEqual([grandchild.id]);
    expect(await trashIds(workspaceId)).toEqual([]);
  });

  it('restores a sub-task trashed alone under its live parent', async () => {
    const { member, workspaceId, projectId } = await team();
    const parent = await member.api.tasks.create({ projectId, title: 'Parent' });
    const child = await member.api.tasks.create({ projectId, title: 'Child', parentId: parent.id });
    await member.api.tasks.delete({ taskId: child.id });
    await member.api.tasks.delete({ taskId: parent.id });

    // Its parent is in the trash too: restore that first.
    const refused = await rejection(member.api.tasks.restore({ taskId: child.id }));
    expect(refused.message).toMatch(/^Restore ENG-1 first/);
    await member.api.tasks.restore({ taskId: parent.id });
    expect((await member.api.tasks.get({ taskId: parent.id })).children.total).toBe(0);
    await member.api.tasks.restore({ taskId: child.id });

    expect((await member.api.tasks.get({ taskId: child.id })).parentId).toBe(parent.id);
    expect(await trashIds(workspaceId)).toEqual([]);
  });

  it('restores into an archived project, and a relation once its other task is back', async () => {
    const { owner, member, workspaceId, projectId } = await team();
    const a = await member.api.tasks.create({ projectId, title: 'A' });
    const b = await member.api.tasks.create({ projectId, title: 'B' });
    await member.api.tasks.relations.add({ taskId: a.id, type: 'blocks', otherTaskId: b.id });
    await member.api.tasks.delete({ taskId: a.id });
    await member.api.tasks.delete({ taskId: b.id });
    await owner.api.projects.archive({ projectId });

    await member.api.tasks.restore({ taskId: b.id });
    expect((await member.api.tasks.get({ taskId: b.id })).relations.blockedBy).toEqual([]);
    await member.api.tasks.restore({ taskId: a.id });

    const blocked = await member.api.tasks.get({ taskId: b.id });
    expect(blocked.relations.blockedBy.map((ref) => ref.id)).toEqual([a.id]);
    expect(await trashIds(workspaceId)).toEqual([]);
  });

  it('brings a relation back whichever of its two trashed tasks is restored first', async () => {
    const { member, projectId } = await team();
    const a = await member.api.tasks.create({ projectId, title: 'A' });
    const b = await member.api.tasks.create({ projectId, title: 'B' });
    await member.api.tasks.relations.add({ taskId: a.id, type: 'blocks', otherTaskId: b.id });
    // A goes first, taking the relation with it; B's trash entry holds none of its own.
    await member.api.tasks.delete({ taskId: a.id });
    await member.api.tasks.delete({ taskId: b.id });

    await member.api.tasks.restore({ taskId: a.id });
    expect((await member.api.tasks.get({ taskId: a.id })).relations.blocks).toEqual([]);
    await member.api.tasks.restore({ taskId: b.id });

    const blocker = await member.api.tasks.get({ taskId: a.id });
    expect(blocker.relations.blocks.map((ref) => ref.id)).toEqual([b.id]);
  });

  it("puts a task whose state was removed into the project's state for its status", async () => {
    const { owner, member, projectId } = await team();
    const task = await member.api.tasks.create({ projectId, title: 'T', status: 'in_progress' });
    await member.api.tasks.delete({ taskId: task.id });
    const doing = await owner.api.projects.states.add({
      projectId,
      name: 'Doing',
      category: 'started',
    });
    await owner.api.projects.states.remove({ stateId: task.stateId });

    const restored = await member.api.tasks.restore({ taskId: task.id });

    expect([restored.stateId, restored.status]).toEqual([doing.id, 'in_progress']);
  });

  it('is NOT_FOUND for a live task, a restored one, and outside the workspace', async () => {
    const { member, outsider, viewer, owner, workspaceId, projectId } = await team();
    const task = await member.api.tasks.create({ projectId, title: 'T' });
    expect((await rejection(member.api.tasks.restore({ taskId: task.id }))).code).toBe('NOT_FOUND');
    await member.api.tasks.delete({ taskId: task.id });
    const reader = await apiToken(owner, workspaceId, 'read');

    const byOutsider = await rejection(outsider.api.tasks.restore({ taskId: task.id }));
    const byViewer = await rejection(viewer.api.tasks.restore({ taskId: task.id }));
    const byReader = await rejection(reader.api.tasks.restore({ taskId: task.id }));
    expect([byOutsider.code, byViewer.code, byReader.code]).toEqual([
      'NOT_FOUND',
      'FORBIDDEN',
      'FORBIDDEN',
    ]);
    await member.api.tasks.restore({ taskId: task.id });
    expect((await rejection(member.api.tasks.restore({ taskId: task.id }))).code).toBe('NOT_FOUND');
  });

  it('restores and logs in one transaction: a failed entry leaves the task in the trash', async () => {
    const { member, workspaceId, projectId } = await team();
    const task = await member.api.tasks.create({ projectId, title: 'T', labels: ['l'] });
    await member.api.tasks.delete({ taskId: task.id });
    await breakActivity('task.restored');

    const error = await rejection(member.api.tasks.restore({ taskId: task.id }));

    expect(error.code).toBe('INTERNAL_SERVER_ERROR');
    expect(await trashIds(workspaceId)).toEqual([task.id]);
    expect(await storedTask(task.id)).toBeUndefined();
  });
});

describe('tasks.onChange and the trash', () => {
  it('tells of a task moved to the trash as deleted, and of its restore as created', async () => {
    const { member, workspaceId, projectId } = await team();
    const task = await member.api.tasks.create({ projectId, title: 'Round trip' });
    const iterable: AsyncIterable<unknown> = await member.api.tasks.onChange({ workspaceId });
    const stream = iterable[Symbol.asyncIterator]();
    const next = async () => {
      const result = await stream.next();
      if (result.done) throw new Error('the stream ended');
      const [, event] = result.value as [string, { type: string; task: { version: number } }];
      return [event.type, event.task.version];
    };

    await member.api.tasks.delete({ taskId: task.id });
    await member.api.tasks.restore({ taskId: task.id });

    expect([await next(), await next()]).toEqual([
      ['deleted', 1],
      ['created', 2],
    ]);
    await stream.return?.();
  });
});

describe('tasks.list {trashed: true}', () => {
  it('pages the trash newest deletion first, by project', async () => {
    const { owner, member, workspaceId, projectId } = await team();
    const ops = await owner.api.projects.create({ workspaceId, name: 'Ops', key: 'OPS' });
    const ids: string[] = [];
    for (const [index, title] of ['one', 'two', 'three'].entries()) {
      const task = await member.api.tasks.create({
        projectId: index === 1 ? ops.id : projectId,
        title,
      });
      clock.advance(MINUTE_MS);
      await member.api.tasks.delete({ taskId: task.id });
      ids.push(task.id);
    }

    const first = await member.api.tasks.list({ workspaceId, trashed: true, limit: 2 });
    expect(first.items.map((item) => item.id)).toEqual([ids[2], ids[1]]);
    const cursor = first.nextCursor ?? '';
    const second = await member.api.tasks.list({ workspaceId, trashed: true, limit: 2, cursor });
    expect(second).toMatchObject({ items: [{ id: ids[0] }], nextCursor: null });
    const eng = await member.api.tasks.list({ workspaceId, trashed: true, projectId });
    expect(eng.items.map((item) => item.id)).toEqual([ids[2], ids[0]]);
    // Live lists and the trash do not share cursors.
    const live = rejection(member.api.tasks.list({ workspaceId, limit: 2, cursor }));
    expect((await live).code).toBe('BAD_REQUEST');
    expect((await member.api.tasks.list({ workspaceId })).items).toEqual([]);
  });

  it('refuses other filters by name', async () => {
    const { member, workspaceId } = await team();
    const cases: [string, Partial<RouterInputs['tasks']['list']>][] = [
      ['status', { status: ['todo'] }],
      ['q', { q: 'x' }],
      ['sort', { sort: 'priority' }],
    ];
    for (const [field, extra] of cases) {
      const error = await rejection(
        member.api.tasks.list({ workspaceId, trashed: true, ...extra }),
      );
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toContain(field);
    }
  });
});

describe('purgeTrash', () => {
  it('deletes what was deleted before the time given, in batches', async () => {
    const { member, workspaceId, projectId } = await team();
    const tasks = [];
    for (const title of ['a', 'b', 'c']) {
      tasks.push(await member.api.tasks.create({ projectId, title }));
    }
    for (const task of tasks) await member.api.tasks.delete({ taskId: task.id });
    clock.advance(MINUTE_MS);
    const late = await member.api.tasks.create({ projectId, title: 'late' });
    await member.api.tasks.delete({ taskId: late.id });

    expect(await purgeTrash(harness.db, new Date(at(1)), 2)).toBe(2);
    expect(await purgeTrash(harness.db, new Date(at(1)), 2)).toBe(1);
    expect(await purgeTrash(harness.db, new Date(at(1)), 2)).toBe(0);
    expect(await trashIds(workspaceId)).toEqual([late.id]);
  });
});
