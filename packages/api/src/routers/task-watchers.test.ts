// tasks.watch / tasks.unwatch, and watchers and mentions through the trash, with a real
// database (SQLite, or PostgreSQL with TRELLIS_TEST_DIALECT=postgres).
import { describe, expect, it } from 'vitest';
import { type Harness, harnessForEachTest, rejection } from '../test/harness.js';
import { clearNotifications, deliveries, storedWatchers } from '../test/people-fixtures.js';
import { START, taskFixtures } from '../test/task-fixtures.js';

let harness: Harness;
harnessForEachTest(START, (fresh) => {
  harness = fresh;
});
const { team, apiToken } = taskFixtures(() => harness);

const sorted = (...ids: string[]) => [...ids].sort();

describe('tasks.watch / tasks.unwatch', () => {
  it('lets a viewer watch and unwatch, idempotently, and tells only watchers', async () => {
    const { owner, member, viewer, projectId } = await team();
    const task = await owner.api.tasks.create({ projectId, title: 'Watched' });

    expect(await viewer.api.tasks.watch({ taskId: task.id })).toEqual({ watching: true });
    expect(await viewer.api.tasks.watch({ taskId: task.id })).toEqual({ watching: true });
    expect((await viewer.api.tasks.get({ taskId: task.id })).watcherIds.slice().sort()).toEqual(
      sorted(owner.user.id, viewer.user.id),
    );
    await member.api.comments.create({ taskId: task.id, body: 'One' });
    expect(await deliveries(harness)).toEqual(
      sorted(`commented→${owner.user.id}`, `commented→${viewer.user.id}`),
    );
    await clearNotifications(harness);

    expect(await viewer.api.tasks.unwatch({ taskId: task.id })).toEqual({ watching: false });
    expect(await viewer.api.tasks.unwatch({ taskId: task.id })).toEqual({ watching: false });
    await member.api.comments.create({ taskId: task.id, body: 'Two' });
    expect(await deliveries(harness)).toEqual([`commented→${owner.user.id}`]);
  });

  it('lets the creator stop watching their own task', async () => {
    const { owner, member, projectId } = await team();
    const task = await owner.api.tasks.create({ projectId, title: 'Mine' });
    await owner.api.tasks.unwatch({ taskId: task.id });
    await member.api.comments.create({ taskId: task.id, body: 'Hello?' });
    expect(await deliveries(harness)).toEqual([]);
    expect(await storedWatchers(harness, task.id)).toEqual([member.user.id]);
  });

  it('refuses API tokens (FORBIDDEN) and outsiders (NOT_FOUND)', async () => {
    const { owner, outsider, workspaceId, projectId } = await team();
    const task = await owner.api.tasks.create({ projectId, title: 'Closed' });
    const bot = await apiToken(owner, workspaceId, 'write');

    expect((await rejection(bot.api.tasks.watch({ taskId: task.id }))).code).toBe('FORBIDDEN');
    expect((await rejection(outsider.api.tasks.watch({ taskId: task.id }))).code).toBe('NOT_FOUND');
    expect((await rejection(outsider.api.tasks.unwatch({ taskId: task.id }))).code).toBe(
      'NOT_FOUND',
    );
    expect(await storedWatchers(harness, task.id)).toEqual([owner.user.id]);
  });

  it('does not tell a watcher who has left the workspace', async () => {
    const { owner, member, viewer, workspaceId, projectId } = await team();
    const task = await owner.api.tasks.create({ projectId, title: 'Gone' });
    await viewer.api.tasks.watch({ taskId: task.id });
    await viewer.api.members.leave({ workspaceId });

    await member.api.comments.create({ taskId: task.id, body: 'Anyone?' });

    expect(await deliveries(harness)).toEqual([`commented→${owner.user.id}`]);
    expect((await owner.api.tasks.get({ taskId: task.id })).watcherIds.slice().sort()).toEqual(
      sorted(owner.user.id, member.user.id),
    );
  });
});

describe('the trash', () => {
  it('takes watchers and mentions along and brings them back on restore', async () => {
    const { owner, member, viewer, projectId } = await team();
    const task = await owner.api.tasks.create({
      projectId,
      title: 'Round trip',
      description: `@${viewer.user.handle}`,
    });
    const comment = await member.api.comments.create({
      taskId: task.id,
      body: `@${owner.user.handle}`,
    });
    const before = await owner.api.tasks.get({ taskId: task.id });

    await owner.api.tasks.delete({ taskId: task.id });
    expect(await storedWatchers(harness, task.id)).toEqual([]);
    await owner.api.tasks.restore({ taskId: task.id });

    const after = await owner.api.tasks.get({ taskId: task.id });
    expect(after.mentions).toEqual(before.mentions);
    expect(after.watcherIds.slice().sort()).toEqual(before.watcherIds.slice().sort());
    const [restored] = (await owner.api.comments.list({ taskId: task.id })).items;
    expect(restored?.mentions).toEqual(comment.mentions);
    expect(comment.mentions.map((m) => m.userId)).toEqual([owner.user.id]);
  });
});
