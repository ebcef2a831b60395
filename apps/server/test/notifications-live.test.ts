import { createClient } from '@trellis/client';
import { dialectOf } from '@trellis/db';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveTeam } from './support/live-team.js';
import { type InboxEvent, notifyDirectly, subscribeInbox } from './support/notifications.js';
import { signUpOn, startProcesses } from './support/processes.js';
import { startTestServer, type TestServer } from './support/server.js';
import { eventStreamsOf, within } from './support/subscription.js';

// The inbox's live feed as a TypeScript program sees it: @trellis/client subscribed to
// notifications.onNew over server-sent events, while notifications are written (through
// the server's database here; by a change on another server process below). The feed and
// unreadCount must agree at every step.

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
// Must finish although streams may still be open: closing the server ends them.
afterAll(() => server.close());

const shape = ({ data }: InboxEvent) => [data.notification.task.key, data.unreadCount];

/** A team on the file's server, and a writer of notifications from the owner to the mate. */
async function teamNotifyingMate() {
  const team = await liveTeam(server);
  const notify = (count: number, from: number) =>
    notifyDirectly(server.db, {
      userId: team.mate.user.id,
      workspaceId: team.workspaceId,
      actorId: team.owner.user.id,
      count,
      from,
    });
  return { ...team, notify };
}

describe('notifications.onNew through @trellis/client', () => {
  it('agrees with unreadCount: N events count N, markRead counts 0, the next counts 1', async () => {
    const { mate, notify } = await teamNotifyingMate();
    const live = subscribeInbox(mate.client);
    await live.started;

    await notify(3, 1);
    await notify(2, 4);
    const events: InboxEvent[] = [];
    for (let i = 0; i < 5; i += 1) events.push(await live.next());
    expect(events.map(shape)).toEqual([
      ['N-1', 1],
      ['N-2', 2],
      ['N-3', 3],
      ['N-4', 4],
      ['N-5', 5],
    ]);
    expect(await mate.client.notifications.unreadCount.query()).toEqual({ count: 5 });
    const listed = await mate.client.notifications.list.query({});
    expect(listed.items.map((item) => item.id)).toEqual(
      events.map((event) => event.data.notification.id).reverse(),
    );
    expect(listed.items[0]).toEqual(events[4]?.data.notification);

    expect(await mate.client.notifications.markRead.mutate({ all: true })).toEqual({ marked: 5 });
    expect(await mate.client.notifications.unreadCount.query()).toEqual({ count: 0 });
    await notify(1, 6);
    expect(shape(await live.next())).toEqual(['N-6', 1]);
    expect(await mate.client.notifications.unreadCount.query()).toEqual({ count: 1 });
    live.unsubscribe();
  });

  it('resumes after a dropped connection with Last-Event-ID, losing and repeating nothing', async () => {
    const { mate, notify } = await teamNotifyingMate();
    const { streams, stop } = eventStreamsOf(server);
    const live = subscribeInbox(mate.client);
    await live.started;
    await notify(1, 1);
    expect(shape(await live.next())).toEqual(['N-1', 1]);

    // Cut the stream's connection, as a proxy or a flaky network might; the client
    // reconnects by itself, sending the last id it read as Last-Event-ID.
    stop();
    expect(streams).toHaveLength(1);
    streams[0]?.destroy();
    await notify(3, 2);

    const caughtUp = [await live.next(), await live.next(), await live.next()];
    expect(caughtUp.map(shape)).toEqual([
      ['N-2', 2],
      ['N-3', 3],
      ['N-4', 4],
    ]);
    // Nothing twice: the feed re-reads every second; after one more, still nothing pending.
    await notify(1, 5);
    expect(shape(await live.next())).toEqual(['N-5', 5]);
    expect(live.pending()).toBe(0);
    live.unsubscribe();

    // A new subscription from an id replays exactly what came after it.
    const resumed = subscribeInbox(mate.client, { lastEventId: caughtUp[0]?.id ?? '' });
    const replay = [await resumed.next(), await resumed.next(), await resumed.next()];
    expect(replay.map(shape)).toEqual([
      ['N-3', 3],
      ['N-4', 4],
      ['N-5', 5],
    ]);
    resumed.unsubscribe();
  });

  it('ends the feed of a session that signs out', async () => {
    const { mate } = await liveTeam(server);
    const live = subscribeInbox(mate.client);
    await live.started;
    await mate.client.auth.signOut.mutate({});
    const how = await within(live.ended, 'the end of a signed-out feed', 30_000);
    // Ended by the server (the stream returns), or refused on the client's reconnect.
    if ('error' in how) expect(how.error).toMatchObject({ code: 'UNAUTHORIZED' });
    else expect(how).toEqual({ completed: true });
  });
});

describe('two server processes on one database', () => {
  it('a change on B notifies a feed on A', async () => {
    const group = await startProcesses(2);
    try {
      const [a = '', b = ''] = group.urls;
      const reader = await signUpOn(a, 'reader');
      const owner = await signUpOn(b, 'owner');
      const workspace = await owner.client.workspaces.create.mutate({
        name: 'Two',
        slug: `two-${process.pid}`,
      });
      const project = await owner.client.projects.create.mutate({
        workspaceId: workspace.id,
        name: 'Two',
        key: 'TWO',
      });
      // Joined directly: the processes have no mail server to verify an invitee with.
      await group.database.db
        .insertInto('memberships')
        .values({
          workspace_id: workspace.id,
          user_id: reader.user.id,
          role: 'member',
          created_at: new Date().toISOString(),
        })
        .execute();
      const live = subscribeInbox(reader.client);
      await live.started;

      // Assigning a task tells the assignee (`assigned`), written by process B.
      const task = await owner.client.tasks.create.mutate({
        projectId: project.id,
        title: 'Yours now',
        assigneeId: reader.user.id,
      });
      const event = await live.next();
      expect(event.data).toMatchObject({
        notification: {
          kind: 'assigned',
          task: { id: task.id, key: task.key, title: 'Yours now' },
          actor: { id: owner.user.id },
          readAt: null,
        },
        unreadCount: 1,
      });
      expect(
        await createClient({ url: b, token: reader.token }).notifications.unreadCount.query(),
      ).toEqual({ count: 1 });
      live.unsubscribe();
      if (dialectOf(group.database.db) === 'postgres') {
        // The feed's 1 s re-read would deliver without them too: each process listens for
        // notification writes on a connection of its own (housekeeping's fan-out).
        const listeners = await sql<{ count: string | number }>`
          select count(*) as count from pg_stat_activity
          where datname = current_database()
            and application_name = ${'trellis listen trellis_notifications'}`.execute(
          group.database.db,
        );
        expect(Number(listeners.rows[0]?.count)).toBe(2);
      }
    } finally {
      expect(await group.stop()).toEqual([0, 0]);
    }
  });
});
