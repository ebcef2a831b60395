import { createDatabase, migrateDown, migrateToLatest } from '@trellis/db';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { buildServer } from '../server.js';
import { startTestServer, type TestServer } from '../test/server.js';

// /healthz and /readyz on a real server: ready means the database answers, its migrations
// are current, and the server is not shutting down (ops/shutdown.test.ts: from then on a
// probe is refused or answered 503).

const servers: TestServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function start(): Promise<TestServer> {
  const server = await startTestServer();
  servers.push(server);
  return server;
}

describe('/healthz and /readyz', () => {
  it('say alive and ready on a migrated database that answers', async () => {
    const server = await start();

    const health = await fetch(`${server.url}/healthz`);
    const ready = await fetch(`${server.url}/readyz`);

    expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready' }]);
  });

  it('answer 503 naming the migrations that are not applied', async () => {
    const server = await start();
    const [undone] = await migrateDown(server.db);

    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({
      status: 'unavailable',
      reason: `migrations not applied: ${undone}`,
    });
    // Alive all the same: a restart would not help.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

    await migrateToLatest(server.db);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });

  it('answer 503 when the database does not answer', async () => {
    // A PostgreSQL URL where nothing listens: the pool's connect is refused.
    const db = createDatabase('postgres://trellis@127.0.0.1:1/trellis');
    const config = { ...loadConfig({}), logLevel: 'silent' as const };
    const app = buildServer(config, { db });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toEqual({ status: 'unavailable', reason: 'database unreachable' });
    } finally {
      await app.close();
    }
  });
});
