import type { AppRouter, TaskChange, TrellisClient } from '@trellis/client';
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LiveTeam, liveTeam } from './support/live-team.js';
import { startTestServer, type TestServer } from './support/server.js';
import { eventStreamsOf, subscribe } from './support/subscription.js';

// The first events of a live stream (issue 19): a change made right after subscribe()
// returned is delivered, and a connection that drops before the first event resumes from
// where the stream started rather than from a new "now". Real server, real clients:
// @trellis/client, and tRPC's own httpSubscriptionLink as a program without it uses it.

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
// Closing the server ends any stream still open.
afterAll(() => server.close());

const ROUNDS = 20;
const summary = ({ data }: TaskChange) => [data.type, data.task.title, data.task.version];

/** tRPC's own client, links as its docs show them, signed in with `token`. */
function officialClient(token: string): TrellisClient {
  const url = `${server.url}/trpc`;
  const authorization = `Bearer ${token}`;
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({
          url,
          EventSource,
          eventSourceOptions: {
            fetch: (input, init) =>
              fetch(input, { ...init, headers: { ...init.headers, authorization } }),
          },
        }),
        false: httpBatchLink({ url, headers: { authorization } }),
      }),
    ],
  });
}

describe('the first change after subscribing', () => {
  it(`@trellis/client: a task created right after subscribe() returned is delivered (${ROUNDS} rounds)`, async () => {
    const { mate, workspaceId, projectId } = await liveTeam(server);
    for (let round = 1; round <= ROUNDS; round += 1) {
      const live = subscribe(mate.client, { workspaceId });
      // No wait for onStarted: the client holds the call until the stream is open.
      const title = `Round ${round}`;
      await mate.client.tasks.create.mutate({ projectId, title });
      expect(summary(await live.next())).toEqual(['created', title, 1]);
      live.unsubscribe();
    }
  });

  it(`tRPC's httpSubscriptionLink: a task created once onStarted fired is delivered (${ROUNDS} rounds)`, async () => {
    const { mate, workspaceId, projectId } = await liveTeam(server);
    const client = officialClient(mate.token);
    for (let round = 1; round <= ROUNDS; round += 1) {
      const live = subscribe(client, { workspaceId });
      await live.started;
      const title = `Official round ${round}`;
      await client.tasks.create.mutate({ projectId, title });
      expect(summary(await live.next())).toEqual(['created', title, 1]);
      live.unsubscribe();
    }
  });
});

describe('a connection that drops before the first event', () => {
  const clients: Record<string, (mate: LiveTeam['mate']) => TrellisClient> = {
    '@trellis/client': (mate) => mate.client,
    "tRPC's httpSubscriptionLink": (mate) => officialClient(mate.token),
  };

  for (const [name, clientOf] of Object.entries(clients)) {
    it(`${name}: the reconnect resumes from where the stream started`, async () => {
      const { mate, workspaceId, createTask } = await liveTeam(server);
      const connections = eventStreamsOf(server);
      try {
        const live = subscribe(clientOf(mate), { workspaceId });
        await live.started;
        expect(connections.streams).toHaveLength(1);

        // Cut the connection before any event; a change is committed while it is down.
        connections.streams[0]?.destroy();
        await createTask('While the stream was down');
        // The client waits before reconnecting: the change came before the new stream.
        expect(connections.streams).toHaveLength(1);

        expect(summary(await live.next())).toEqual(['created', 'While the stream was down', 1]);
        // It came back as a reconnect holding the start position, not a new subscription.
        expect(connections.streams).toHaveLength(2);
        expect(connections.streams[1]?.req.headers['last-event-id']).toEqual(expect.any(String));
        live.unsubscribe();
      } finally {
        connections.stop();
      }
    });
  }
});
