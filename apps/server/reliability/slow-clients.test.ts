import { createClient } from '@trellis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { startTestServer, type TestServer } from '../test/support/server.js';
import {
  type DribbleResult,
  dribble,
  exchange,
  request,
  type Target,
  targetOf,
} from './support/raw-http.js';

// Slow and greedy clients against a real server with short deadlines: slowloris headers
// and dribbled bodies are cut off (408 or closed) while a normal request from a fresh
// connection still answers quickly; over-limit bodies, batches and `limit`s are refused;
// one user cannot hold more than MAX_STREAMS_PER_USER live streams.

const HEADERS_TIMEOUT_MS = 2000;
const REQUEST_TIMEOUT_MS = 4000;
/** Node checks the deadlines once a second (server.ts connectionsCheckingInterval). */
const CHECK_INTERVAL_MS = 1000;
/** Room for a 2-core machine shared with other suites. */
const MARGIN_MS = 3000;
const SLOWLORIS_CONNECTIONS = 100;
const SLOW_BODY_CONNECTIONS = 30;
const DRIBBLE_EVERY_MS = 300;
const NORMAL_LATENCY_BOUND_MS = 1000;
const STREAM_CAP = 3;
const PASSWORD = 'correct horse battery staple';

let server: TestServer;
let target: Target;
let token = '';
let workspaceId = '';
const figures: string[] = [];
const suiteStarted = performance.now();

let accounts = 0;
async function signUp(): Promise<{ token: string; workspaceId: string }> {
  accounts += 1;
  const { session } = await createClient({ url: server.url }).auth.signUp.mutate({
    email: `slow-${accounts}@example.com`,
    password: PASSWORD,
    name: 'Slow',
  });
  const client = createClient({ url: server.url, token: session.token });
  const workspace = await client.workspaces.create.mutate({ name: 'S', slug: `slow-${accounts}` });
  return { token: session.token, workspaceId: workspace.id };
}

beforeAll(async () => {
  server = await startTestServer({
    headersTimeoutMs: HEADERS_TIMEOUT_MS,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    maxStreamsPerUser: STREAM_CAP,
  });
  target = targetOf(server.url);
  ({ token, workspaceId } = await signUp());
});

afterAll(async () => {
  await server?.close();
  console.log(
    `SLOW-CLIENTS SUMMARY: ${figures.join('; ')}; ${((performance.now() - suiteStarted) / 1000).toFixed(1)} s`,
  );
});

/** Authenticated normal requests on fresh connections, one after another, while `busy` runs. */
async function normalLatencies(busy: Promise<unknown>, count: number): Promise<number[]> {
  const latencies: number[] = [];
  let done = false;
  busy.finally(() => {
    done = true;
  });
  // Let the attack connections open and start dribbling first.
  await new Promise((resolve) => setTimeout(resolve, 500));
  for (let i = 0; i < count && !done; i += 1) {
    const reply = await exchange(
      target,
      request('GET', '/trpc/auth.me', { Authorization: `Bearer ${token}` }),
      { timeoutMs: 5000 },
    );
    expect(reply.status, reply.body).toBe(200);
    latencies.push(reply.elapsedMs);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return latencies;
}

function summarize(results: DribbleResult[]) {
  const statuses = new Map<string, number>();
  for (const r of results) {
    const key = r.survived ? 'survived' : r.status === null ? 'closed' : String(r.status);
    statuses.set(key, (statuses.get(key) ?? 0) + 1);
  }
  const maxCut = Math.max(...results.map((r) => r.cutOffAfterMs));
  return { statuses: [...statuses].map(([k, n]) => `${k}:${n}`).join(' '), maxCut };
}

describe('slow clients', () => {
  it('cuts slowloris connections off (408) while a normal request still answers', async () => {
    const bound = HEADERS_TIMEOUT_MS + CHECK_INTERVAL_MS + MARGIN_MS;
    const attack = Promise.all(
      Array.from({ length: SLOWLORIS_CONNECTIONS }, (_, i) =>
        dribble(target, {
          prefix: `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n`,
          trickle: `X-Slow-${i}: dribbled\r\n`,
          intervalMs: DRIBBLE_EVERY_MS,
          boundMs: bound + 5000,
        }),
      ),
    );
    const latencies = await normalLatencies(attack, 8);
    const results = await attack;
    const { statuses, maxCut } = summarize(results);
    const worst = Math.max(...latencies);
    figures.push(
      `slowloris ${SLOWLORIS_CONNECTIONS} conns (1 header byte / ${DRIBBLE_EVERY_MS} ms, headersTimeout ${HEADERS_TIMEOUT_MS} ms) → ${statuses}, all cut within ${Math.round(maxCut)} ms; ` +
        `${latencies.length} normal requests meanwhile, max ${Math.round(worst)} ms`,
    );
    expect(results.filter((r) => r.survived)).toEqual([]);
    for (const r of results) expect([408, null]).toContain(r.status);
    expect(maxCut).toBeLessThanOrEqual(bound);
    // Each held out past the headers deadline: it was the timeout, not something else.
    expect(Math.min(...results.map((r) => r.cutOffAfterMs))).toBeGreaterThanOrEqual(
      HEADERS_TIMEOUT_MS - 100,
    );
    expect(latencies.length).toBeGreaterThanOrEqual(3);
    expect(worst).toBeLessThanOrEqual(NORMAL_LATENCY_BOUND_MS);
  });

  it('cuts dribbled bodies off at the request deadline while a normal request still answers', async () => {
    const bound = REQUEST_TIMEOUT_MS + CHECK_INTERVAL_MS + MARGIN_MS;
    const body = JSON.stringify({ email: 'x@example.com', password: 'y'.repeat(900) });
    const attack = Promise.all(
      Array.from({ length: SLOW_BODY_CONNECTIONS }, () =>
        dribble(target, {
          prefix:
            'POST /trpc/auth.signIn HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
            `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
          trickle: body,
          intervalMs: DRIBBLE_EVERY_MS,
          boundMs: bound + 5000,
        }),
      ),
    );
    const latencies = await normalLatencies(attack, 12);
    const results = await attack;
    const { statuses, maxCut } = summarize(results);
    const worst = Math.max(...latencies);
    figures.push(
      `slow body ${SLOW_BODY_CONNECTIONS} conns (1 byte / ${DRIBBLE_EVERY_MS} ms, requestTimeout ${REQUEST_TIMEOUT_MS} ms) → ${statuses}, all cut within ${Math.round(maxCut)} ms; ` +
        `${latencies.length} normal requests meanwhile, max ${Math.round(worst)} ms`,
    );
    expect(results.filter((r) => r.survived)).toEqual([]);
    for (const r of results) expect([408, null]).toContain(r.status);
    expect(maxCut).toBeLessThanOrEqual(bound);
    expect(Math.min(...results.map((r) => r.cutOffAfterMs))).toBeGreaterThanOrEqual(
      REQUEST_TIMEOUT_MS - 100,
    );
    expect(worst).toBeLessThanOrEqual(NORMAL_LATENCY_BOUND_MS);
  });

  it('uses the documented deadlines by default', async () => {
    const defaults = loadConfig({});
    expect([defaults.headersTimeoutMs, defaults.requestTimeoutMs]).toEqual([10_000, 30_000]);
    expect(defaults.maxStreamsPerUser).toBe(16);
    const plain = await startTestServer();
    try {
      expect([plain.app.server.headersTimeout, plain.app.server.requestTimeout]).toEqual([
        10_000, 30_000,
      ]);
    } finally {
      await plain.close();
    }
    expect([server.app.server.headersTimeout, server.app.server.requestTimeout]).toEqual([
      HEADERS_TIMEOUT_MS,
      REQUEST_TIMEOUT_MS,
    ]);
  });
});

describe('greedy clients', () => {
  const auth = () => ({ Authorization: `Bearer ${token}` });
  const json = { 'Content-Type': 'application/json' };
  const refusals: string[] = [];
  afterAll(() => {
    figures.push(`refused: ${refusals.join(', ')}`);
  });

  it('refuses a body over BODY_LIMIT_BYTES with 413 on /trpc and REST', async () => {
    const limit = loadConfig({}).bodyLimitBytes;
    const big = JSON.stringify({ name: 'a'.repeat(limit), slug: 'big' });
    for (const path of ['/trpc/workspaces.create', '/api/v1/workspaces']) {
      const reply = await exchange(target, request('POST', path, { ...auth(), ...json }, big));
      expect([path, reply.status]).toEqual([path, 413]);
      refusals.push(`${path} body ${Math.round(big.length / 1024)} KB → ${reply.status}`);
    }
  });

  it('refuses a batch one call over MAX_BATCH_SIZE (413, as API.md says)', async () => {
    const max = loadConfig({}).maxBatchSize;
    const paths = Array.from({ length: max + 1 }, () => 'auth.me').join(',');
    const input = encodeURIComponent(
      JSON.stringify(Object.fromEntries(Array.from({ length: max + 1 }, (_, i) => [i, {}]))),
    );
    const get = await exchange(target, request('GET', `/trpc/${paths}?batch=1`, auth()));
    const post = await exchange(
      target,
      request('POST', `/trpc/${paths}?batch=1`, { ...auth(), ...json }, decodeURIComponent(input)),
    );
    const atMax = await exchange(
      target,
      request(
        'GET',
        `/trpc/${Array.from({ length: max }, () => 'auth.me').join(',')}?batch=1`,
        auth(),
      ),
    );
    expect([get.status, post.status, atMax.status]).toEqual([413, 413, 200]);
    expect(get.body).toMatch(`at most ${max}`);
    refusals.push(`batch of ${max + 1} → GET ${get.status} / POST ${post.status} (${max} → 200)`);
  });

  it('refuses `limit` over the maximum with 400 naming the field', async () => {
    const q = (input: unknown) => encodeURIComponent(JSON.stringify(input));
    const cases = [
      ['tasks.list', `/trpc/tasks.list?input=${q({ workspaceId, limit: 101 })}`],
      ['activity.list', `/trpc/activity.list?input=${q({ workspaceId, limit: 101 })}`],
      ['search.tasks', `/trpc/search.tasks?input=${q({ workspaceId, q: 'a', limit: 51 })}`],
      ['REST tasks', `/api/v1/workspaces/${workspaceId}/tasks?limit=101`],
      ['REST activity', `/api/v1/workspaces/${workspaceId}/activity?limit=101`],
      ['REST search', `/api/v1/workspaces/${workspaceId}/search?q=a&limit=51`],
    ] as const;
    for (const [name, path] of cases) {
      const reply = await exchange(target, request('GET', path, auth()));
      const body = JSON.parse(reply.body) as {
        error: {
          fieldErrors?: Record<string, string[]>;
          data?: { fieldErrors?: Record<string, string[]> };
        };
      };
      const fieldErrors = body.error.data?.fieldErrors ?? body.error.fieldErrors ?? {};
      expect([name, reply.status, Object.keys(fieldErrors)]).toEqual([name, 400, ['limit']]);
    }
    refusals.push(`limit over max on ${cases.length} routes → 400 fieldErrors.limit`);
  });

  it(`caps live streams at MAX_STREAMS_PER_USER (${STREAM_CAP}) per user`, async () => {
    const aborts: AbortController[] = [];
    const open = async (who: { token: string; workspaceId: string }) => {
      const abort = new AbortController();
      aborts.push(abort);
      const input = encodeURIComponent(JSON.stringify({ workspaceId: who.workspaceId }));
      const response = await fetch(`${server.url}/trpc/tasks.onChange?input=${input}`, {
        headers: { authorization: `Bearer ${who.token}`, accept: 'text/event-stream' },
        signal: abort.signal,
      });
      if (response.status === 200 && response.body) await response.body.getReader().read();
      else await response.text();
      return { status: response.status, close: () => abort.abort() };
    };
    try {
      const alice = { token, workspaceId };
      const bob = await signUp();
      const held = [];
      for (let i = 0; i < STREAM_CAP; i += 1) held.push(await open(alice));
      expect(held.map((s) => s.status)).toEqual(Array(STREAM_CAP).fill(200));
      // A flood of 20 more at once: every one refused.
      const flood = await Promise.all(Array.from({ length: 20 }, () => open(alice)));
      expect(new Set(flood.map((s) => s.status))).toEqual(new Set([429]));
      expect((await open(bob)).status).toBe(200);
      held[0]?.close();
      let reopened = 0;
      for (let attempt = 0; attempt < 50 && reopened !== 200; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        reopened = (await open(alice)).status;
      }
      expect(reopened).toBe(200);
      expect((await open(alice)).status).toBe(429);
      refusals.push(
        `streams: ${STREAM_CAP} open → flood of 20 all 429, other user 200, after closing one 200 again`,
      );
    } finally {
      for (const abort of aborts) abort.abort();
    }
  });
});
