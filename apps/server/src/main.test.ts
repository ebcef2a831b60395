import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, pendingMigrations } from '@trellis/db';
import { createTestDatabase } from '@trellis/db/testing';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { type MainProcess, startMainProcess } from './test/main-process.js';

// main.ts as an operator runs it: configuration from the environment, migrate, listen,
// and a clean exit on SIGTERM / SIGINT.

const dirs: string[] = [];
const started: MainProcess[] = [];

afterEach(() => {
  for (const server of started.splice(0)) server.child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function startMain(env: Record<string, string>): MainProcess {
  const server = startMainProcess(env);
  started.push(server);
  return server;
}

function tempDatabaseUrl(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-main-'));
  dirs.push(dir);
  return `file:${join(dir, 'data', 'trellis.db')}`;
}

describe('main', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('migrates, serves, and exits 0 on %s', async (signal) => {
    // A SQLite file (and folder) that does not exist yet, in both passes: creating it is
    // part of what is tested. WORKERS=2 below runs on the dialect under test.
    const databaseUrl = tempDatabaseUrl();
    const server = startMain({ DATABASE_URL: databaseUrl });
    const url = await server.listening;

    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    server.child.kill(signal);

    expect(await server.exited).toBe(0);
    expect(server.output()).toContain(`${signal}: finishing in-flight requests`);
    const db = createDatabase(databaseUrl);
    expect(await pendingMigrations(db)).toEqual([]);
    await db.destroy();
  });

  it('with WORKERS=2, serves from two worker processes and stops both on SIGTERM', async () => {
    // The dialect under test (in the PostgreSQL pass, both workers on one PostgreSQL).
    const database = await createTestDatabase();
    onTestFinished(() => database.destroy());
    const server = startMain({ DATABASE_URL: database.url, WORKERS: '2' });
    const url = await server.listening;
    await expect.poll(() => server.output().match(/Server listening/g)?.length).toBe(2);

    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    server.child.kill('SIGTERM');

    expect(await server.exited).toBe(0);
    const pids = server.output().matchAll(/"pid":(\d+)[^\n]*Server listening/g);
    expect(new Set([...pids].map((m) => m[1])).size).toBe(2);
    expect(server.output().match(/shutdown request from the primary/g)).toHaveLength(2);
    expect(await pendingMigrations(database.db)).toEqual([]);
  });

  it('refuses to start on invalid configuration, naming the variable', async () => {
    const server = startMain({ DATABASE_URL: tempDatabaseUrl(), PORT: 'eighty' });

    expect(await server.exited).toBe(1);
    expect(server.output()).toMatch(/Invalid configuration: PORT: /);
  });
});
