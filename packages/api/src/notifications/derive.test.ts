// Notifications and watchers derived from activity entries, through the routers with a
// real database (SQLite, or PostgreSQL with TRELLIS_TEST_DIALECT=postgres).
import { describe, expect, it } from 'vitest';
import { type Harness, harnessForEachTest } from '../test/harness.js';
import {
  clearNotifications,
  deliveries,
  storedNotifications,
  storedWatchers,
} from '../test/people-fixtures.js';
import { START, taskFixtures } from '../test/task-fixtures.js';

let harness: Harness;
harnessForEachTest(START, (fresh) => {
  harness = fresh;
});
const { team, apiToken } = taskFixtures(() => harness);

const sorted = (...ids: string[]) => [...ids].sort();

describe('task.created', () => {
  it('tells the assignee and the mentioned members, and makes them and the creator watch', async () => {
    const { owner, member, viewer, projectId } = await team();
    const task = await member.api.tasks.create({
      projectId,
      title: 'Ship it',
      description: `Needs @${owner.user.handle} and @${member.user.handle}.`,
      assigneeId: viewer.user.id,
    });

    expect(await deliveries(harness)).toEqual(
      sorted(`assigned→${viewer.user.id}`, `mentioned→${owner.user.id}`),
    );
    const [first] = await storedNotifications(harness);
    expect(first).toMatchObject({
      task_id: task.id,
      comment_id: null,
      actor_id: member.user.id,
      data: { task: { id: task.id, key: 'ENG-1', title: 'Ship it' } },
    });
    expect(await storedWatchers(harness, task.id)).toEqual(
      sorted(member.user.id, viewer.user.id, owner.user.id),
    );
    const detail = await owner.api.tasks.get({ taskId: task.id });
    expect(detail.mentions).toEqual([
      {
        userId: owner.user.id,
        text: `@${owner.user.handle}`,
        name: 'Olive Owner',
        handle: owner.user.handle,
      },
      {
        userId: member.user.id,
        text: `@${member.user.handle}`,
        name: 'Mia Member',
        handle: member.user.handle,
      },
    ]);
    expect(detail.watcherIds.slice().sort()).toEqual(
      sorted(member.user.id, viewer.user.id, owner.user.id),
    );
  });

  it('gives one notification per person: an assignee who is also mentioned is told once', async () => {
    const { owner, viewer, projectId } = await team();
    await owner.api.tasks.create({
      projectId,
      title: 'Both',
      description: `@${viewer.user.handle} please`,
      assigneeId: viewer.user.id,
    });
    expect(await deliveries(harness)).toEqual([`assigned→${viewer.user.id}`]);
  });

  it('does not make an API token’s creator watch what the token files', async () => {
    const { owner, member, workspaceId, projectId } = await team();
    const bot = await apiToken(owner, workspaceId, 'write');
    const task = await bot.api.tasks.create({
      projectId,
      title: 'From CI',
      assigneeId: member.user.id,
    });
    expect(await storedWatchers(harness, task.id)).toEqual([member.user.id]);
    expect(await deliveries(harness)).toEqual([`assigned→${member.user.id}`]);
  });
});

describe('task.updated', () => {
  it('tells a new assignee, and the watchers of a state change by state name', async () => {
    const { owner, member, viewer, projectId } = await team();
    const task = await owner.api.tasks.create({ projectId, title: 'Flow' });
    await viewer.api.tasks.watch({ taskId: task.id });
    const assigned = await owner.api.tasks.update({
      taskId: task.id,
      expectedVersion: 1,
      patch: { assigneeId: member.user.id },
    });
    expect(await deliveries(harness)).toEqual([`assigned→${member.user.id}`]);
    await clearNotifications(harness);

    await member.api.tasks.update({
      taskId: task.id,
      expectedVersion: assigned.version,
      patch: { status: 'in_progress' },
    });

    // The owner (creator) and the viewer (watching) hear of it; the member did it.
    expect(await deliveries(harness)).toEqual(
      sorted(`status_changed→${owner.user.id}`, `status_changed→${viewer.user.id}`),
    );
    const [change] = await storedNotifications(harness);
    expect(change?.data.change).toEqual({ from: 'Todo', to: 'In Progress' });
  });

  it('tells only the members a changed description newly mentions', async () => {
    const { owner, member, viewer, projectId } = await team();
    const task = await owner.api.tasks.create({
      projectId,
      title: 'Doc',
      description: `cc @${member.user.handle}`,
    });
    await clearNotifications(harness);

    await owner.api.tasks.update({
      taskId: task.id,
      expectedVersion: 1,
      patch: { description: `cc @${member.user.handle} @${viewer.user.email}` },
    });

    expect(await deliveries(harness)).toEqual([`mentioned→${viewer.user.id}`]);
    expect((await owner.api.tasks.get({ taskId: task.id })).mentions.map((m) => m.text)).toEqual([
      `@${member.user.handle}`,
      `@${viewer.user.email}`,
    ]);
  });

  it('records nothing for a change nobody is told of (priority)', async () => {
    const { owner, member, projectId } = await team();
    const task = await owner.api.tasks.create({ projectId, title: 'Quiet' });
    await member.api.tasks.update({ taskId: task.id, expectedVersion: 1, patch: { priority: 2 } });
    expect(await deliveries(harness)).toEqual([]);
  });
});

describe('comments', () => {
  it('tells the mentioned, then the other watchers; the commenter watches', async () => {
    const { owner, member, viewer, projectId } = await team();
    const task = await owner.api.tasks.create({ projectId, title: 'Talk' });
    await viewer.api.tasks.watch({ taskId: task.id });

    const comment = await member.api.comments.create({
      taskId: task.id,
      body: `@${viewer.user.handle.toUpperCase()}, look.`,
    });

    expect(comment.mentions).toEqual([
      {
        userId: viewer.user.id,
        text: `@${viewer.user.handle.toUpperCase()}`,
        name: 'Vic Viewer',
        handle: viewer.user.handle,
      },
    ]);
    expect(await deliveries(harness)).toEqual(
      sorted(`commented→${owner.user.id}`, `mentioned→${viewer.user.id}`),
    );
    const told = await storedNotifications(harness);
    expect(told.map((n) => n.comment_id)).toEqual([comment.id, comment.id]);
    expect(told[0]?.data).toMatchObject({ excerpt: `@${viewer.user.handle.toUpperCase()}, look.` });
    expect(await storedWatchers(harness, task.id)).toEqual(
      sorted(owner.user.id, member.user.id, viewer.user.id),
    );
  });

  it('on an edit, tells only the newly mentioned', async () => {
    const { owner, member, viewer, projectId } = await team();
    const task = await owner.api.tasks.create({ projectId, title: 'Edit' });
    const comment = await member.api.comments.create({
      taskId: task.id,
      body: `@${owner.user.handle}`,
    });
    await clearNotifications(harness);

    const edited = await member.api.comments.update({
      commentId: comment.id,
      body: `@${owner.user.handle} and @${viewer.user.handle}`,
    });

    expect(await deliveries(harness)).toEqual([`mentioned→${viewer.user.id}`]);
    expect(edited.mentions.map((m) => m.userId).sort()).toEqual(
      sorted(owner.user.id, viewer.user.id),
    );
    const [listed] = (await owner.api.comments.list({ taskId: task.id })).items;
    expect(listed?.mentions).toEqual(edited.mentions);
  });

  it('resolves no non-member: the comment and the log read as for a name nobody holds', async () => {
    const { owner, member, outsider, projectId } = await team();
    const task = await owner.api.tasks.create({ projectId, title: 'Private' });
    await clearNotifications(harness);

    const toOutsider = await member.api.comments.create({
      taskId: task.id,
      body: `@${outsider.user.handle} @${outsider.user.email}`,
    });
    const toNobody = await member.api.comments.create({
      taskId: task.id,
      body: '@nobody-here @nobody@example.com',
    });

    expect(toOutsider.mentions).toEqual([]);
    expect(toNobody.mentions).toEqual([]);
    // Only the task's creator hears of the comments, as a watcher.
    expect(await deliveries(harness)).toEqual([
      `commented→${owner.user.id}`,
      `commented→${owner.user.id}`,
    ]);
    expect(await storedWatchers(harness, task.id)).toEqual(sorted(owner.user.id, member.user.id));
    const mentionRows = await harness.db.selectFrom('comment_mentions').selectAll().execute();
    expect(mentionRows).toEqual([]);
  });
});
