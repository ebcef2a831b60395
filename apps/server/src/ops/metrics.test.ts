import { networkInterfaces } from 'node:os';
import { createClient } from '@trellis/client';
import { testDatabaseDialect } from '@trellis/db/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/support/server.js';

// /metrics as Prometheus scrapes it, after real traffic: one histogram per procedure and
// status, bounded labels, the database's connections, the process's own numbers.

const servers: TestServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function start(...args: Parameters<typeof startTestServer>): Promise<TestServer> {
  const server = await startTestServer(...args);
  servers.push(server);
  return server;
}

async function scrape(server: TestServer, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}/metrics`, { headers });
  return {
    status: response.status,
    text: await response.text(),
    type: response.headers.get('content-type'),
  };
}

/** The value of one sample line, e.g. `trellis_requests_total{procedure="x",...}`. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels);
  for (const line of text.split('\n')) {
    const match = /^([a-z_:]+)\{(.*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (wanted.every(([key, value]) => present[key] === value)) return Number(match[3]);
  }
  return undefined;
}

let users = 0;
async function signUp(server: TestServer) {
  users += 1;
  const { session } = await createClient({ url: server.url }).auth.signUp.mutate({
    email: `metrics-${users}@example.com`,
    password: 'correct horse battery staple',
    name: 'Metrics',
  });
  return session.token;
}

describe('/metrics', () => {
  it('counts and times each procedure by status, with bounded labels', async () => {
    const server = await start();
    const token = await signUp(server);
    const auth = { authorization: `Bearer ${token}` };
    // A batch of two calls, one of them twice.
    await fetch(`${server.url}/trpc/auth.me,workspaces.list,auth.me?batch=1&input={}`, {
      headers: auth,
    });
    // REST with a path parameter, a procedure that does not exist, a page that does not.
    const secretId = `no-such-workspace-${Date.now()}`;
    await fetch(`${server.url}/api/v1/workspaces/${secretId}`, { headers: auth });
    await fetch(`${server.url}/trpc/no.such.procedure${Date.now()}`);
    await fetch(`${server.url}/random-page-${Date.now()}?q=${secretId}`);

    const { status, text, type } = await scrape(server);

    expect(status).toBe(200);
    expect(type).toMatch(/^text\/plain; version=0\.0\.4/);
    const count = (labels: Record<string, string>) =>
      sample(text, 'trellis_requests_total', labels);
    expect(count({ procedure: 'auth.signUp', method: 'POST', status: '200' })).toBe(1);
    expect(count({ procedure: 'auth.me', method: 'GET', status: '200' })).toBe(2);
    expect(count({ procedure: 'workspaces.list', method: 'GET', status: '200' })).toBe(1);
    expect(
      count({ procedure: '/api/v1/workspaces/:workspaceId', method: 'GET', status: '404' }),
    ).toBe(1);
    expect(count({ procedure: 'trpc:unknown', method: 'GET', status: '404' })).toBe(1);
    expect(count({ procedure: 'other', method: 'GET', status: '404' })).toBe(1);
    // The latency histogram: every call lands in the +Inf bucket, and has a sum.
    const bucket = (procedure: string) =>
      sample(text, 'trellis_request_duration_seconds_bucket', {
        procedure,
        method: 'GET',
        status: '200',
        le: '+Inf',
      });
    expect(bucket('auth.me')).toBe(2);
    expect(bucket('workspaces.list')).toBe(1);
    expect(
      sample(text, 'trellis_request_duration_seconds_sum', { procedure: 'auth.me' }),
    ).toBeGreaterThan(0);
    // Buckets are cumulative: never falling as `le` grows, ending at the count.
    const meBuckets = [
      ...text.matchAll(/^trellis_request_duration_seconds_bucket\{(.*)\} (\S+)$/gm),
    ]
      .filter(([, labels]) => labels?.includes('procedure="auth.me",method="GET",status="200"'))
      .map(([, labels, value]) => ({
        le: /le="([^"]+)"/.exec(labels ?? '')?.[1],
        value: Number(value),
      }));
    expect(meBuckets.map((b) => b.le)).toEqual([
      ...[
        '0.001',
        '0.0025',
        '0.005',
        '0.01',
        '0.025',
        '0.05',
        '0.1',
        '0.25',
        '0.5',
        '1',
        '2.5',
        '5',
        '10',
      ],
      '+Inf',
    ]);
    for (let i = 1; i < meBuckets.length; i++) {
      expect(meBuckets[i]?.value).toBeGreaterThanOrEqual(meBuckets[i - 1]?.value ?? 0);
    }
    expect(sample(text, 'trellis_request_duration_seconds_count', { procedure: 'auth.me' })).toBe(
      2,
    );
    // No URL a client chose reaches a label.
    expect(text).not.toContain('no-such');
    expect(text).not.toContain('random-page');
  });

  it('shows the database connections, event-loop lag and process memory', async () => {
    const server = await start();
    await signUp(server); // PostgreSQL's pool opens connections on demand

    const { text } = await scrape(server);

    expect(sample(text, 'trellis_db_connections', { state: 'open' })).toBeGreaterThanOrEqual(1);
    if (testDatabaseDialect() === 'postgres') {
      // The pool's idle connections (SQLite's one connection has no such state).
      expect(sample(text, 'trellis_db_connections', { state: 'idle' })).toBeGreaterThanOrEqual(1);
    }
    expect(text).toMatch(/^trellis_db_waiting_queries \d+$/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds [\d.e-]+$/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds [\d.e-]+$/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d+$/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d+$/m);
  });

  it('keeps one registry per server: two servers in one process count apart', async () => {
    const [one, two] = [await start(), await start()];
    await signUp(one);

    const ofTwo = await scrape(two);

    expect(
      sample((await scrape(one)).text, 'trellis_requests_total', { procedure: 'auth.signUp' }),
    ).toBe(1);
    expect(
      sample(ofTwo.text, 'trellis_requests_total', { procedure: 'auth.signUp' }),
    ).toBeUndefined();
  });

  it('without METRICS_TOKEN, answers loopback clients only, and not through a proxy', async () => {
    const server = await start();

    expect((await scrape(server)).status).toBe(200);
    // A reverse proxy on this machine connects from loopback, on someone else's behalf,
    // and says so in one header or another (nginx's proxy_set_header X-Real-IP, …).
    const proxyHeaders: Record<string, string>[] = [
      { 'x-forwarded-for': '203.0.113.9' },
      { forwarded: 'for=203.0.113.9' },
      { 'x-real-ip': '203.0.113.9' },
      { 'X-Real-IP': '203.0.113.9' },
      { 'x-forwarded-host': 'trellis.example' },
      { 'x-forwarded-proto': 'https' },
      { via: '1.1 proxy' },
      { 'cf-connecting-ip': '203.0.113.9' },
      { 'true-client-ip': '203.0.113.9' },
    ];
    for (const header of proxyHeaders) {
      const response = await scrape(server, header);
      expect(response.status, JSON.stringify(header)).toBe(404);
      expect(response.text).not.toContain('trellis_requests_total');
    }
  });

  const external = Object.values(networkInterfaces())
    .flat()
    .find((address) => address?.family === 'IPv4' && !address.internal)?.address;
  it.skipIf(external === undefined)(
    'without METRICS_TOKEN, hides itself from other machines (needs a non-loopback address)',
    async () => {
      const server = await start({ host: '0.0.0.0' });
      const port = new URL(server.url).port;

      const response = await fetch(`http://${external}:${port}/metrics`);

      expect(response.status).toBe(404);
      expect((await fetch(`http://${external}:${port}/healthz`)).status).toBe(200);
    },
  );

  it('with METRICS_TOKEN, answers only the bearer of that token', async () => {
    const token = 'metrics-token-0123456789abcdef';
    const server = await start({ metricsToken: token });

    expect((await scrape(server)).status).toBe(401);
    expect(
      (await scrape(server, { authorization: 'Bearer wrong-token-0123456789abc' })).status,
    ).toBe(401);
    expect((await scrape(server, { authorization: `Bearer ${token}x` })).status).toBe(401);
    const allowed = await scrape(server, {
      authorization: `Bearer ${token}`,
      'x-forwarded-for': '203.0.113.9',
    });
    expect(allowed.status).toBe(200);
    expect(allowed.text).toContain('trellis_requests_total');
  });
});
