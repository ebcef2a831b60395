import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@trellis/client';
import { createDatabase } from '@trellis/db';
import { createTestDatabase, type TestDatabase, testDatabaseDialect } from '@trellis/db/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MainProcess, runScript, startMainProcess } from './test/main-process.js';

// `pnpm db:backup` (dist/backup.js) against a database a real server process is writing
// to: the copy passes SQLite's integrity check and holds every task acknowledged before
// the backup began.

function backup(args: string[], env: Record<string, string>) {
  return runScript('backup', args, env);
}

/** A backup file, opened as the server would open it. */
async function openCopy(file: string) {
  const db = createDatabase(`file:${file}`);
  return {
    integrity: async () =>
      (await sql<{ integrity_check: string }>`pragma integrity_check`.execute(db)).rows
        .map((row) => row.integrity_check)
        .join('; '),
    taskIds: async () => (await db.selectFrom('tasks').select('id').execute()).map((t) => t.id),
    fillerRows: async () =>
      Number(
        (await sql<{ n: number }>`select count(*) as n from backup_filler`.execute(db)).rows[0]?.n,
      ),
    close: () => db.destroy(),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'trellis-backup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The backup API is SQLite's; on PostgreSQL the command only points to pg_dump (below).
describe.runIf(testDatabaseDialect() === 'sqlite')('pnpm db:backup on SQLite', () => {
  let database: TestDatabase;
  let server: MainProcess;
  let url: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    // ~24 MB of other data, so that the copy takes many steps while the writes go on.
    await sql`create table backup_filler (id integer primary key, data blob not null)`.execute(
      database.db,
    );
    for (let i = 0; i < 6; i += 1) {
      await database.db.transaction().execute(async (trx) => {
        for (let j = 0; j < 1000; j += 1) {
          await sql`insert into backup_filler (data) values (${randomBytes(4000)})`.execute(trx);
        }
      });
    }
    server = startMainProcess({ DATABASE_URL: database.url, LOG_LEVEL: 'info' });
    url = await server.listening;
  });

  afterAll(async () => {
    await server?.stop();
    await database?.destroy();
  });

  const filename = () => fileURLToPath(`file://${database.url.slice('file:'.length)}`);

  it('copies the live database under write load, keeping every acknowledged task', async () => {
    const { session } = await createClient({ url }).auth.signUp.mutate({
      email: 'backup@example.com',
      password: 'correct horse battery staple',
      name: 'Backup',
    });
    const client = createClient({ url, token: session.token });
    const workspace = await client.workspaces.create.mutate({ name: 'B', slug: 'backup' });
    const project = await client.projects.create.mutate({
      workspaceId: workspace.id,
      name: 'Backup',
      key: 'BAK',
    });
    // Four writers, each creating tasks one after another; each id is recorded once the
    // server has answered (acknowledged) it.
    const acknowledged: string[] = [];
    let writing = true;
    const writer = async (n: number) => {
      for (let i = 0; writing; i += 1) {
        const task = await client.tasks.create.mutate({
          projectId: project.id,
          title: `writer ${n} task ${i}`,
          description: 'x'.repeat(2000),
        });
        acknowledged.push(task.id);
      }
    };
    const writers = [1, 2, 3, 4].map(writer);
    await expect.poll(() => acknowledged.length).toBeGreaterThan(40);

    const before = [...acknowledged];
    const copy = join(dir, 'under-load.db');
    const result = await backup([copy], { DATABASE_URL: database.url });
    const duringBackup = acknowledged.length - before.length;
    writing = false;
    await Promise.all(writers);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^backing up .* to .*under-load\.db$/m);
    // Progress along the way, then the end.
    expect(result.stdout.match(/^\d+% \(\d+ of \d+ pages\)$/gm)?.length).toBeGreaterThan(2);
    expect(result.stdout).toMatch(/^100% \(\d+ of \d+ pages\)$/m);
    expect(result.stdout).toMatch(/^done: \d+ pages, integrity check ok/m);
    // The server kept writing while the copy ran.
    expect(duringBackup).toBeGreaterThan(0);
    const copied = await openCopy(copy);
    try {
      expect(await copied.integrity()).toBe('ok');
      const ids = new Set(await copied.taskIds());
      const missing = before.filter((id) => !ids.has(id));
      expect(missing).toEqual([]);
      expect(await copied.fillerRows()).toBe(6000);
    } finally {
      await copied.close();
    }
    expect(existsSync(filename())).toBe(true);
  });

  it('refuses to overwrite a file unless --force', async () => {
    const target = join(dir, 'existing.db');
    writeFileSync(target, 'precious');

    const refused = await backup([target], { DATABASE_URL: database.url });

    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe(`${target} exists; pass --force to replace it`);
    expect(readFileSync(target, 'utf8')).toBe('precious');

    const forced = await backup([target, '--force'], { DATABASE_URL: database.url });

    expect(forced.code, forced.stderr).toBe(0);
    expect(statSync(target).size).toBeGreaterThan(20_000_000);
    const copied = await openCopy(target);
    expect(await copied.integrity()).toBe('ok');
    await copied.close();
  });
});

describe('pnpm db:backup on PostgreSQL', () => {
  it('says to use pg_dump, in one line, and copies nothing', async () => {
    const target = join(dir, 'pg.db');

    const result = await backup([target], { DATABASE_URL: 'postgres://db.internal/trellis' });

    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^DATABASE_URL is PostgreSQL: back it up with pg_dump/);
    expect(existsSync(target)).toBe(false);
  });

  it('explains its usage when the file is missing', async () => {
    const result = await backup([], { DATABASE_URL: 'file:/nonexistent/trellis.db' });

    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe('usage: pnpm db:backup <file> [--force]');
  });
});
