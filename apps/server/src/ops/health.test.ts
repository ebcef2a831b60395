import { createDatabase, migrateDown, migrateToLatest } from '@trellis/db';
import { testDatabaseDialect } from '@trellis/db/testing';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/support/server.js';
import { loadConfig } from '../config.js';
import { buildServer } from '../server.js';

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

  // A probe under way when the shutdown begins must not be told "ready". Holding a lock on
  // the migrations table keeps /readyz inside its check while the server starts closing;
  // PostgreSQL only, since SQLite's readers never wait for a lock under WAL.
  it.runIf(testDatabaseDialect() === 'postgres')(
    'answer 503 "shutting down" to a probe that was under way when the shutdown began',
    async () => {
      const server = await start();
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let locked = () => {};
      const lockTaken = new Promise<void>((resolve) => {
        locked = resolve;
      });
      const holder = server.db.connection().execute(async (connection) => {
        await sql`begin`.execute(connection);
        await sql`lock table kysely_migration in access exclusive mode`.execute(connection);
        locked();
        await held;
        await sql`rollback`.execute(connection);
      });
      await lockTaken;

      const probe = fetch(`${server.url}/readyz`);
      // Until the probe waits for the lock, inside the readiness check.
      await expect
        .poll(async () => {
          const { rows } = await sql<{ waiting: number }>`
            select count(*)::int as waiting from pg_locks where not granted`.execute(server.db);
          return rows[0]?.waiting;
        })
        .toBeGreaterThan(0);
      const closed = server.app.close();
      release();
      await holder;

      const answer = await probe;
      expect(answer.status).toBe(503);
      expect(await answer.json()).toEqual({ status: 'unavailable', reason: 'shutting down' });
      await closed;
    },
  );
});
