import { createClient, type TaskChange } from '@trellis/client';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { liveTeam } from './support/live-team.js';
import { startTestServer, type TestServer } from './support/server.js';
import { type StallingProxy, stallingProxy } from './support/stalling-proxy.js';
import { subscribe } from './support/subscription.js';

// A stream that stalls (its connection stays open but nothing arrives, not even pings) is
// replaced by tRPC's httpSubscriptionLink with a new one once the server's
// `reconnectAfterInactivityMs` has passed. @trellis/client sends the newest id its
// subscriber has seen as `Last-Event-ID`, so nothing committed during the stall is lost,
// also before the first change, and nothing already received comes again. Real server,
// real @trellis/client, a real proxy on loopback that stalls the stream.

/**
 * What the server tells clients (packages/api/src/trpc.ts, `sse.client`); it is not
 * configurable, so each test waits this long once. The tests check that the server sent it.
 */
const RECONNECT_AFTER_INACTIVITY_MS = 25_000;
/** Longest a replacement stream may take to arrive after a stall began. */
const REPLACED_WITHIN_MS = RECONNECT_AFTER_INACTIVITY_MS + 15_000;
const TEST_TIMEOUT_MS = REPLACED_WITHIN_MS + 30_000;

let server: TestServer;
const proxies: StallingProxy[] = [];
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await Promise.all(proxies.map((proxy) => proxy.close()));
  await server.close();
});

async function proxyFor(options: { stallAfterConnected?: number } = {}) {
  const proxy = await stallingProxy(server, options);
  proxies.push(proxy);
  return proxy;
}

const summary = ({ data }: TaskChange) => [data.type, data.task.title, data.task.version];

// Each test spends most of its time waiting for the client's inactivity timer: they wait
// side by side.
describe.concurrent('a stream that stalls is replaced without losing or repeating a change', () => {
  it(
    'before the first change: the new stream starts where the stalled one started',
    async ({ expect }) => {
      const { mate, workspaceId, createTask } = await liveTeam(server);
      const proxy = await proxyFor({ stallAfterConnected: 1 });
      const client = createClient({ url: proxy.url, token: mate.token });
      const live = subscribe(client, { workspaceId });
      await live.started;
      const first = await proxy.stream(0, 'the first stream');
      const connected = await first.connected;
      expect(connected.event).toBe('connected');
      expect(JSON.parse(connected.data)).toMatchObject({
        reconnectAfterInactivityMs: RECONNECT_AFTER_INACTIVITY_MS,
      });
      expect(connected.id).toEqual(expect.any(String));

      // The stream is stalled from its `connected` on; this change is committed meanwhile.
      await createTask('During the stall');
      const second = await proxy.stream(1, 'the replacement stream', REPLACED_WITHIN_MS);
      expect(summary(await live.next())).toEqual(['created', 'During the stall', 1]);
      // tRPC gave the stalled connection up and opened a new one that named the start.
      await first.closed;
      expect(second.headers['last-event-id']).toBe(connected.id);
      await createTask('After the stall');
      expect(summary(await live.next())).toEqual(['created', 'After the stall', 1]);
      expect(live.pending()).toBe(0);
      expect(proxy.streams).toHaveLength(2);
      live.unsubscribe();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'after a change: the new stream starts after that change, not at the older start',
    async ({ expect }) => {
      const { mate, workspaceId, createTask } = await liveTeam(server);
      const proxy = await proxyFor();
      const client = createClient({ url: proxy.url, token: mate.token });
      const live = subscribe(client, { workspaceId });
      await live.started;
      const first = await proxy.stream(0, 'the first stream');
      const connected = await first.connected;

      await createTask('Before the stall');
      const received = await live.next();
      expect(summary(received)).toEqual(['created', 'Before the stall', 1]);
      expect(received.id).not.toBe(connected.id);

      first.stall();
      await createTask('During the stall');
      const second = await proxy.stream(1, 'the replacement stream', REPLACED_WITHIN_MS);
      // Not 'Before the stall' again: the start id did not replace the newer change's id.
      expect(summary(await live.next())).toEqual(['created', 'During the stall', 1]);
      expect(second.headers['last-event-id']).toBe(received.id);
      await createTask('After the stall');
      expect(summary(await live.next())).toEqual(['created', 'After the stall', 1]);
      expect(live.pending()).toBe(0);
      live.unsubscribe();
    },
    TEST_TIMEOUT_MS,
  );
});
