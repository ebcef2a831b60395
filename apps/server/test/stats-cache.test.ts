import { statsOverview } from '@trellis/api/internal';
import { createClient, type TrellisClient } from '@trellis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer, verifyEmailByMail } from './support/server.js';

// stats.overview is served from a per-process cache keyed by the workspace's data version
// (its newest activity seq), the UTC day, and the next due date of an open task. The rule
// it must keep: the answer always equals the numbers computed afresh, right after any write
// and as time passes; only unchanged workspaces are served from the cache.

let clock = new Date('2026-03-10T12:00:00.000Z');
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({}, { clock: () => clock });
});
afterAll(() => server.close());

let seq = 0;
async function signUp(): Promise<{ id: string; client: TrellisClient; email: string }> {
  seq += 1;
  const email = `stats-cache-${seq}@example.com`;
  const { user, session } = await createClient({ url: server.url }).auth.signUp.mutate({
    email,
    password: 'correct horse battery staple',
    name: `Stats ${seq}`,
  });
  return { id: user.id, email, client: createClient({ url: server.url, token: session.token }) };
}

async function cacheCount(name: 'hits' | 'misses'): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = new RegExp(`^trellis_cache_${name}_total\\{cache="stats"\\} (\\d+)$`, 'm').exec(
    text,
  );
  return Number(line?.[1] ?? Number.NaN);
}

describe('the stats.overview cache', () => {
  it('answers exactly what a fresh computation gives, after every kind of write', async () => {
    const owner = await signUp();
    const member = await signUp();
    const { client } = owner;
    const workspace = await client.workspaces.create.mutate({ name: 'S', slug: `s-${seq}` });
    const project = await client.projects.create.mutate({
      workspaceId: workspace.id,
      name: 'S',
      key: 'ST',
    });
    const invite = await client.members.invite.mutate({
      workspaceId: workspace.id,
      email: member.email,
      role: 'member',
    });
    // Only a verified address may accept an invite: prove it from the mail, as a person does.
    await verifyEmailByMail(server, member.email);
    await member.client.members.acceptInvite.mutate({ inviteToken: invite.inviteToken });

    const check = async (what: string) => {
      const cached = await client.stats.overview.query({ workspaceId: workspace.id });
      expect(cached, what).toEqual(await statsOverview(server.db, workspace.id, clock));
      return cached;
    };
    await check('empty');
    const task = await client.tasks.create.mutate({ projectId: project.id, title: 'One' });
    expect((await check('after create')).totals.tasks).toBe(1);
    await client.tasks.update.mutate({
      taskId: task.id,
      expectedVersion: 1,
      patch: { status: 'in_progress', priority: 3, assigneeId: member.id },
    });
    expect((await check('after update')).byPriority[3]?.count).toBe(1);
    const second = await member.client.tasks.create.mutate({
      projectId: project.id,
      title: 'Two',
      dueAt: '2026-03-01T00:00:00.000Z',
    });
    expect((await check('after a create by another member')).totals.overdue).toBe(1);
    await client.tasks.update.mutate({
      taskId: task.id,
      expectedVersion: 2,
      patch: { status: 'done' },
    });
    expect((await check('after done')).completedPerDay.at(-1)?.count).toBe(1);
    await client.members.remove.mutate({ workspaceId: workspace.id, userId: member.id });
    await check('after removing a member');
    await client.tasks.delete.mutate({ taskId: second.id });
    expect((await check('after delete')).totals).toEqual({ tasks: 1, open: 0, overdue: 0 });
  });

  it('serves an unchanged workspace from the cache, and a changed one afresh', async () => {
    const { client } = await signUp();
    const workspace = await client.workspaces.create.mutate({ name: 'H', slug: `h-${seq}` });
    const project = await client.projects.create.mutate({
      workspaceId: workspace.id,
      name: 'H',
      key: 'HI',
    });
    await client.stats.overview.query({ workspaceId: workspace.id });
    const [hits, misses] = [await cacheCount('hits'), await cacheCount('misses')];

    await client.stats.overview.query({ workspaceId: workspace.id });
    await client.stats.overview.query({ workspaceId: workspace.id });
    expect(await cacheCount('hits')).toBe(hits + 2);
    await client.tasks.create.mutate({ projectId: project.id, title: 'New' });
    const after = await client.stats.overview.query({ workspaceId: workspace.id });
    expect(after.totals.tasks).toBe(1);
    expect(await cacheCount('misses')).toBe(misses + 1);
  });

  it('moves with time alone: a task falling due, and a new day', async () => {
    const { client } = await signUp();
    const workspace = await client.workspaces.create.mutate({ name: 'T', slug: `t-${seq}` });
    const project = await client.projects.create.mutate({
      workspaceId: workspace.id,
      name: 'T',
      key: 'TI',
    });
    const dueAt = new Date(clock.getTime() + 60 * 60 * 1000).toISOString();
    await client.tasks.create.mutate({ projectId: project.id, title: 'Due soon', dueAt });
    const before = await client.stats.overview.query({ workspaceId: workspace.id });
    expect(before.totals.overdue).toBe(0);

    clock = new Date(clock.getTime() + 2 * 60 * 60 * 1000);
    const later = await client.stats.overview.query({ workspaceId: workspace.id });
    expect(later.totals.overdue).toBe(1);
    expect(later).toEqual(await statsOverview(server.db, workspace.id, clock));

    clock = new Date(clock.getTime() + 24 * 60 * 60 * 1000);
    const nextDay = await client.stats.overview.query({ workspaceId: workspace.id });
    expect(nextDay.createdPerDay.at(-1)?.day).toBe(clock.toISOString().slice(0, 10));
    expect(nextDay).toEqual(await statsOverview(server.db, workspace.id, clock));
  });
});
