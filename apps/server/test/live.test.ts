import { createClient, isTrellisError, type TaskChange } from '@trellis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveTeam, signUpUser as signUp } from './support/live-team.js';
import { startTestServer, type TestServer } from './support/server.js';
import { eventStreamsOf, subscribe, within } from './support/subscription.js';

// Live updates as a TypeScript program sees them: @trellis/client subscribing over
// server-sent events to a real server, while other users change tasks through the API.

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
// Must finish although streams may still be open: closing the server ends them.
afterAll(() => server.close());

const signUpUser = (name: string) => signUp(server, name);
const team = (role: 'member' | 'viewer' = 'member', target: TestServer = server) =>
  liveTeam(target, role);

const summary = ({ data }: TaskChange) => [data.type, data.task.title, data.task.version];

describe('tasks.onChange through @trellis/client', () => {
  it("streams another user's creates, updates and deletes, each with an id", async () => {
    const { owner, mate, workspaceId, createTask } = await team();
    const live = subscribe(mate.client, { workspaceId });
    await live.started;

    const task = await createTask('Ship it');
    await owner.client.tasks.update.mutate({
      taskId: task.id,
      expectedVersion: 1,
      patch: { status: 'in_progress' },
    });
    await owner.client.tasks.delete.mutate({ taskId: task.id });

    const events = [await live.next(), await live.next(), await live.next()];
    live.unsubscribe();
    expect(events.map(summary)).toEqual([
      ['created', 'Ship it', 1],
      ['updated', 'Ship it', 2],
      ['deleted', 'Ship it', 2],
    ]);
    expect(events[0]?.data.task).toEqual(task);
    expect(events[1]?.data.task.status).toBe('in_progress');
    for (const event of events) {
      expect(event.id).toEqual(expect.any(String));
      expect(event.data.id).toBe(event.id);
    }
    expect(new Set(events.map((e) => e.id)).size).toBe(3);
  });

  it('resubscribing with lastEventId delivers exactly the changes missed, in order', async () => {
    const { owner, mate, workspaceId, createTask } = await team();
    const first = subscribe(mate.client, { workspaceId });
    await first.started;
    const kept = await createTask('One');
    const one = await first.next();
    first.unsubscribe();

    const two = await createTask('Two');
    await owner.client.tasks.update.mutate({
      taskId: two.id,
      expectedVersion: 1,
      patch: { title: 'Two, renamed' },
    });
    await owner.client.tasks.delete.mutate({ taskId: kept.id });

    const resumed = subscribe(mate.client, { workspaceId, lastEventId: one.id });
    const missed = [await resumed.next(), await resumed.next(), await resumed.next()];
    await createTask('Four');
    const after = await resumed.next();
    resumed.unsubscribe();

    expect(missed.map(summary)).toEqual([
      ['created', 'Two', 1],
      ['updated', 'Two, renamed', 2],
      ['deleted', 'One', 1],
    ]);
    // The next event is the new change: nothing of the replay came twice.
    expect(summary(after)).toEqual(['created', 'Four', 1]);
  });

  it('reconnects by itself after the connection drops, and catches up', async () => {
    const { mate, workspaceId, createTask } = await team();
    const { streams, stop } = eventStreamsOf(server);
    const live = subscribe(mate.client, { workspaceId });
    await live.started;
    await createTask('Before the drop');
    expect(summary(await live.next())).toEqual(['created', 'Before the drop', 1]);

    // Cut the stream's connection, as a proxy or a flaky network might.
    stop();
    expect(streams).toHaveLength(1);
    streams[0]?.destroy();
    await createTask('During the drop');
    await createTask('Also during the drop');

    const caughtUp = [await live.next(), await live.next()];
    live.unsubscribe();
    expect(caughtUp.map(summary)).toEqual([
      ['created', 'During the drop', 1],
      ['created', 'Also during the drop', 1],
    ]);
  });

  it('ends the subscription of a member removed while subscribed', async () => {
    const { owner, mate, workspaceId, createTask } = await team();
    const live = subscribe(mate.client, { workspaceId });
    await live.started;
    await createTask('Still in the team');
    expect(summary(await live.next())).toEqual(['created', 'Still in the team', 1]);

    await owner.client.members.remove.mutate({ workspaceId, userId: mate.user.id });

    expect(await within(live.ended, 'the end of the removed member’s subscription')).toEqual({
      completed: true,
    });
  });

  it('serves a subscriber holding a read-only API token', async () => {
    const { owner, workspaceId, createTask } = await team();
    const { token } = await owner.client.apiTokens.create.mutate({
      workspaceId,
      name: 'Dashboard feed',
      scope: 'read',
    });
    const live = subscribe(createClient({ url: server.url, token }), { workspaceId });
    await live.started;

    await createTask('Seen by a machine');

    expect(summary(await live.next())).toEqual(['created', 'Seen by a machine', 1]);
    live.unsubscribe();
  });

  it('refuses anonymous and non-member subscribers', async () => {
    const { workspaceId } = await team();
    const stranger = await signUpUser('Stranger');

    const anonymous = await subscribe(createClient({ url: server.url }), { workspaceId }).ended;
    const outsider = await subscribe(stranger.client, { workspaceId }).ended;

    const codeOf = (how: { completed: true } | { error: unknown }) =>
      'error' in how && isTrellisError(how.error) ? how.error.data?.code : how;
    expect(codeOf(anonymous)).toBe('UNAUTHORIZED');
    expect(codeOf(outsider)).toBe('NOT_FOUND');
  });

  it('closes while a subscription is open', async () => {
    const other = await startTestServer();
    const { mate, workspaceId, createTask } = await team('viewer', other);
    const live = subscribe(mate.client, { workspaceId });
    await live.started;
    await createTask('Last words');
    expect(summary(await live.next())).toEqual(['created', 'Last words', 1]);

    await within(other.close(), 'server close');
    live.unsubscribe();
  });
});
