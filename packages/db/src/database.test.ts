import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createDatabase, parseDatabaseUrl } from './database.js';
import { migrateDown, migrateToLatest, pendingMigrations } from './migrate.js';

const dirs: string[] = [];
function tempUrl(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-db-'));
  dirs.push(dir);
  return `file:${join(dir, 'nested', 'test.db')}`;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('parseDatabaseUrl', () => {
  it('reads file:, plain paths, memory and postgres URLs', () => {
    expect(parseDatabaseUrl('file:./data/t.db')).toEqual({
      dialect: 'sqlite',
      filename: './data/t.db',
    });
    expect(parseDatabaseUrl('file:///tmp/t.db')).toEqual({
      dialect: 'sqlite',
      filename: '/tmp/t.db',
    });
    expect(parseDatabaseUrl('/tmp/t.db')).toEqual({ dialect: 'sqlite', filename: '/tmp/t.db' });
    expect(parseDatabaseUrl(':memory:')).toEqual({ dialect: 'sqlite', filename: ':memory:' });
    expect(parseDatabaseUrl('postgres://u@h/db').dialect).toBe('postgres');
  });

  it('rejects unknown schemes and empty URLs', () => {
    expect(() => parseDatabaseUrl('mysql://x')).toThrow(/unsupported/);
    expect(() => parseDatabaseUrl('')).toThrow(/empty/);
    expect(() => parseDatabaseUrl('file:')).toThrow(/no file/);
  });
});

describe('createDatabase on a file', () => {
  it('creates the folder and sets WAL, NORMAL sync, foreign keys and a busy timeout', async () => {
    const db = createDatabase(tempUrl());
    const pragma = async (name: string) =>
      Object.values((await sql.raw(`pragma ${name}`).execute(db)).rows[0] as object)[0];
    expect(await pragma('journal_mode')).toBe('wal');
    expect(await pragma('synchronous')).toBe(1); // NORMAL
    expect(await pragma('foreign_keys')).toBe(1);
    expect(await pragma('busy_timeout')).toBe(5000);
    await db.destroy();
  });

  it('migrates up and down, and reports nothing pending once applied', async () => {
    const db = createDatabase(tempUrl());
    const all = [
      '0001_initial',
      '0002_access_control',
      '0003_domain',
      '0004_task_list_indexes',
      '0005_stats_indexes',
      '0006_idempotency',
    ];
    expect(await pendingMigrations(db)).toEqual(all);
    expect(await migrateToLatest(db)).toEqual(all);
    expect(await migrateToLatest(db)).toEqual([]);
    expect(await pendingMigrations(db)).toEqual([]);
    // FTS5 keeps its index in shadow tables (task_fts_data, …): not ours to list.
    const tables = (await db.introspection.getTables()).filter(
      (t) => !t.name.startsWith('task_fts_'),
    );
    expect(tables.map((t) => t.name).sort()).toEqual(
      [
        'activity',
        'api_tokens',
        'comments',
        'idempotency_keys',
        'invites',
        'memberships',
        'oauth_accounts',
        'projects',
        'rate_limits',
        'sessions',
        'task_fts',
        'task_labels',
        'task_search_docs',
        'tasks',
        'users',
        'workspaces',
      ].sort(),
    );
    const dueIndexes = async () =>
      (
        await sql<{ name: string }>`select name from sqlite_master
          where type = 'index' and name like 'tasks_ws_due%' order by name`.execute(db)
      ).rows.map((row) => row.name);
    expect(await dueIndexes()).toEqual(['tasks_ws_due_asc_idx', 'tasks_ws_due_desc_idx']);
    const statusIndexes = async () =>
      (
        await sql<{ name: string }>`select name from sqlite_master
          where type = 'index' and name like 'tasks_ws_status_%' order by name`.execute(db)
      ).rows.map((row) => row.name);
    expect(await statusIndexes()).toHaveLength(4);
    expect(await migrateDown(db)).toEqual(['0006_idempotency']);
    expect((await db.introspection.getTables()).map((t) => t.name)).not.toContain(
      'idempotency_keys',
    );
    expect(await migrateDown(db)).toEqual(['0005_stats_indexes']);
    expect(await statusIndexes()).toEqual(['tasks_ws_status_idx']);
    expect(await migrateDown(db)).toEqual(['0004_task_list_indexes']);
    expect(await dueIndexes()).toEqual(['tasks_ws_due_idx']);
    expect(await migrateDown(db)).toEqual(['0003_domain']);
    expect((await db.introspection.getTables()).map((t) => t.name)).not.toContain('task_fts');
    expect(await migrateDown(db)).toEqual(['0002_access_control']);
    expect((await db.introspection.getTables()).map((t) => t.name)).not.toContain('invites');
    expect(await migrateDown(db)).toEqual(['0001_initial']);
    expect(await db.introspection.getTables()).toEqual([]);
    await db.destroy();
  });

  it('enforces foreign keys', async () => {
    const db = createDatabase(':memory:');
    await migrateToLatest(db);
    const now = new Date().toISOString();
    await expect(
      db
        .insertInto('memberships')
        .values({ workspace_id: 'nope', user_id: 'nope', role: 'owner', created_at: now })
        .execute(),
    ).rejects.toThrow(/FOREIGN KEY/);
    await db.destroy();
  });

  it('refuses PostgreSQL until that dialect lands', () => {
    expect(() => createDatabase('postgres://u@127.0.0.1/x')).toThrow(/not supported yet/);
  });
});
