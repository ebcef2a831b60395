import { createClient } from '@trellis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/support/server.js';
import { streamOpener } from '../../test/support/streams.js';
import { within } from '../../test/support/subscription.js';
import { isRecord } from '../../test/support/wire.js';
import { LiveStreams } from './live-streams.js';
import { StreamLimits } from './stream-limits.js';

describe('StreamLimits', () => {
  it('refuses a key at the cap, and a released slot can be taken again once', () => {
    const limits = new StreamLimits(2);
    const first = limits.acquire('a');
    const second = limits.acquire('a');
    expect(limits.acquire('a')).toBeNull();
    expect(limits.acquire('b')).not.toBeNull();
    first?.();
    first?.(); // releasing twice frees one slot, not two
    expect(limits.count('a')).toBe(1);
    expect(limits.acquire('a')).not.toBeNull();
    expect(limits.acquire('a')).toBeNull();
    second?.();
    expect(limits.count('a')).toBe(1);
  });
});

describe('LiveStreams.track', () => {
  it('tells once when a stream ends: read to its end, cancelled, or failed', async () => {
    const streams = new LiveStreams();
    let ended = 0;
    const onEnd = () => {
      ended += 1;
    };
    expect(await streams.track(new Response('data'), onEnd).text()).toBe('data');
    expect(ended).toBe(1);
    const endless = new ReadableStream<Uint8Array>({ pull: () => new Promise(() => {}) });
    await streams.track(new Response(endless), onEnd).body?.cancel();
    expect(ended).toBe(2);
    const failing = new ReadableStream<Uint8Array>({
      pull: () => Promise.reject(new Error('upstream failed')),
    });
    await expect(streams.track(new Response(failing), onEnd).text()).rejects.toThrow();
    expect(ended).toBe(3);
    expect(streams.size).toBe(0);
  });
});

// The cap as clients meet it: real SSE streams (tasks.onChange) over HTTP.
describe('MAX_STREAMS_PER_USER', () => {
  const CAP = 2;
  let server: TestServer;
  const streams = streamOpener(() => server.url);
  beforeAll(async () => {
    server = await startTestServer({ maxStreamsPerUser: CAP });
  });
  afterAll(async () => {
    streams.closeAll();
    await server.close();
  });

  let seq = 0;
  async function signUp() {
    seq += 1;
    const { session } = await createClient({ url: server.url }).auth.signUp.mutate({
      email: `streams-${seq}@example.com`,
      password: 'correct horse battery staple',
      name: 'Streamer',
    });
    const client = createClient({ url: server.url, token: session.token });
    const workspace = await client.workspaces.create.mutate({ name: 'S', slug: `streams-${seq}` });
    return { token: session.token, client, workspaceId: workspace.id };
  }

  const open = (token: string, workspaceId: string, path?: string) =>
    streams.open(token, workspaceId, { path });

  it('refuses one stream over the cap with 429, per user, and frees a slot on close', async () => {
    const alice = await signUp();
    const bob = await signUp();
    const opened = [];
    for (let i = 0; i < CAP; i += 1) opened.push(await open(alice.token, alice.workspaceId));
    expect(opened.map((s) => s.response.status)).toEqual([200, 200]);

    const refused = await open(alice.token, alice.workspaceId);
    expect(refused.response.status).toBe(429);
    expect(refused.response.headers.get('content-type')).toMatch(/^application\/json/);
    const body: unknown = await refused.response.json();
    const error = isRecord(body) && isRecord(body.error) ? body.error : {};
    expect(error.message).toMatch(`at most ${CAP}`);
    expect(error.data).toMatchObject({ code: 'TOO_MANY_REQUESTS', httpStatus: 429 });

    // Another user is not affected.
    expect((await open(bob.token, bob.workspaceId)).response.status).toBe(200);

    // An API token counts for the admin who made it: still over.
    const { token } = await alice.client.apiTokens.create.mutate({
      workspaceId: alice.workspaceId,
      name: 'bot',
      scope: 'read',
    });
    expect((await open(token, alice.workspaceId)).response.status).toBe(429);

    // Closing a stream gives its slot back (once the server sees the socket close).
    opened[0]?.close();
    expect(await streams.openOnceFreed(alice.token, alice.workspaceId)).toBe(200);
    expect((await open(alice.token, alice.workspaceId)).response.status).toBe(429);
  });

  it('counts a stream however its path is spelled: a twice-encoded one is refused', async () => {
    const alice = await signUp();
    // Once-encoded is what Fastify decodes: the same path, counted as such.
    const first = await open(alice.token, alice.workspaceId, 'tasks%2EonChange');
    const second = await open(alice.token, alice.workspaceId);
    expect([first.response.status, second.response.status]).toEqual([200, 200]);

    // tRPC decodes the path once more than Fastify does: these would reach tasks.onChange
    // without the stream cap knowing whose stream it is (a third, fourth… for one user).
    for (const path of ['tasks%252EonChange', 'tasks%25252EonChange', 'tasks.onChange%2500']) {
      const { response } = await open(alice.token, alice.workspaceId, path);
      expect(response.status, path).toBe(400);
      expect(response.headers.get('content-type'), path).toMatch(/^application\/json/);
      const body: unknown = await response.json();
      expect(body, path).toMatchObject({ error: { data: { code: 'BAD_REQUEST' } } });
    }
  });

  it('does not hold a slot for a refused credential (its error event ends the stream)', async () => {
    const alice = await signUp();
    for (let i = 0; i < CAP + 1; i += 1) {
      const input = encodeURIComponent(JSON.stringify({ workspaceId: alice.workspaceId }));
      // tRPC answers a failed subscription with a 200 stream carrying one error event.
      const response = await fetch(`${server.url}/trpc/tasks.onChange?input=${input}`, {
        headers: { authorization: 'Bearer bogus', accept: 'text/event-stream' },
      });
      expect(await within(response.text(), 'the error event')).toMatch('UNAUTHORIZED');
    }
    expect((await open(alice.token, alice.workspaceId)).response.status).toBe(200);
  });
});
