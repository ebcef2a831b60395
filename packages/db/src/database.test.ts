import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createDatabase, databasePoolStats, parseDatabaseUrl } from './database.js';
import { dialectOf } from './dialect.js';
import { isForeignKeyViolation } from './errors.js';
import { migrateDown, migrateToLatest, pendingMigrations } from './migrate.js';
import { createTestDatabase, type TestDatabase, testDatabaseDialect } from './testing.js';

const dirs: string[] = [];
function tempUrl(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-db-'));
  dirs.push(dir);
  return `file:${join(dir, 'nested', 'test.db')}`;
}
const databases: TestDatabase[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  for (const database of databases.splice(0)) await database.destroy();
});

async function testDatabase(options?: { migrate?: boolean }): Promise<TestDatabase> {
  const database = await createTestDatabase(options);
  databases.push(database);
  return database;
}

/** Names of the indexes whose names start with `prefix`, sorted. */
async function indexNames<DB>(db: Kysely<DB>, prefix: string): Promise<string[]> {
  const query =
    dialectOf(db) === 'postgres'
      ? sql<{ name: string }>`select indexname as name from pg_indexes
          where schemaname = current_schema() and indexname like ${`${prefix}%`} order by name`
      : sql<{ name: string }>`select name from sqlite_master
          where type = 'index' and name like ${`${prefix}%`} order by name`;
  return (await query.execute(db)).rows.map((row) => row.name);
}

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

// SQLite only: these are about the embedded database's file and connection settings.
describe.runIf(testDatabaseDialect() === 'sqlite')('createDatabase on a file', () => {
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

  it('syncs every commit to disk with synchronous: full (SQLITE_SYNCHRONOUS=full)', async () => {
    const db = createDatabase(tempUrl(), { synchronous: 'full' });
    const rows = (await sql.raw('pragma synchronous').execute(db)).rows;
    expect(Object.values(rows[0] as object)[0]).toBe(2); // FULL
    await db.destroy();
  });
});

describe('createDatabase for PostgreSQL', () => {
  it('opens a pool lazily, sized by poolSize', async () => {
    // Nothing listens on port 1: the pool connects on the first query, not here.
    const db = createDatabase('postgres://u@127.0.0.1:1/x', { poolSize: 3 });
    expect(dialectOf(db)).toBe('postgres');
    expect(databasePoolStats(db)).toEqual({ total: 0, idle: 0, waiting: 0 });
    await db.destroy();
    expect(() => createDatabase('postgres://u@127.0.0.1:1/x', { poolSize: 0 })).toThrow(RangeError);
  });

  it('tells SQLite apart, and has no pool stats for it', async () => {
    const db = createDatabase(':memory:');
    expect(dialectOf(db)).toBe('sqlite');
    expect(databasePoolStats(db)).toBeUndefined();
    await db.destroy();
  });
});

describe(`migrations on ${testDatabaseDialect()}`, () => {
  it('migrates up and down, and reports nothing pending once applied', async () => {
    const { db } = await testDatabase({ migrate: false });
    const all = [
      '0001_initial',
      '0002_access_control',
      '0003_domain',
      '0004_task_list_indexes',
      '0005_stats_indexes',
      '0006_idempotency',
      '0007_accounts',
      '0008_workspace_event_seq',
      '0009_webhooks',
      '0010_stream_leases',
      '0011_subtasks',
      '0012_task_relations',
      '0013_workflow_states',
      '0014_trash',
      '0015_views',
      '0016_import_jobs',
      '0017_people',
      '0018_attachments',
    ];
    expect(await pendingMigrations(db)).toEqual(all);
    expect(await migrateToLatest(db)).toEqual(all);
    expect(await migrateToLatest(db)).toEqual([]);
    expect(await pendingMigrations(db)).toEqual([]);
    // FTS5 keeps its index in shadow tables (task_fts_data, …): not ours to list.
    const tables = (await db.introspection.getTables()).filter(
      (t) => !t.name.startsWith('task_fts_'),
    );
    // PostgreSQL keeps its search documents in task_search_docs alone (no FTS5 table).
    const searchTables =
      dialectOf(db) === 'postgres' ? ['task_search_docs'] : ['task_fts', 'task_search_docs'];
    expect(tables.map((t) => t.name).sort()).toEqual(
      [
        ...searchTables,
        'activity',
        'api_tokens',
        'attachment_deletions',
        'attachments',
        'comments',
        'comment_mentions',
        'inboxes',
        'notifications',
        'task_mentions',
        'task_watchers',
        'email_tokens',
        'idempotency_keys',
        'import_jobs',
        'invites',
        'legacy_event_ids',
        'memberships',
        'project_states',
        'oauth_accounts',
        'projects',
        'rate_limits',
        'sessions',
        'stream_leases',
        'task_labels',
        'task_relations',
        'tasks',
        'trashed_tasks',
        'trusted_devices',
        'users',
        'views',
        'webhook_deliveries',
        'webhooks',
        'workspaces',
      ].sort(),
    );
    const dueIndexes = () => indexNames(db, 'tasks_ws_due');
    expect(await dueIndexes()).toEqual(['tasks_ws_due_asc_idx', 'tasks_ws_due_desc_idx']);
    const statusIndexes = () => indexNames(db, 'tasks_ws_status_');
    expect(await statusIndexes()).toHaveLength(4);
    expect(await migrateDown(db)).toEqual(['0018_attachments']);
    expect((await db.introspection.getTables()).map((t) => t.name)).not.toContain('attachments');
    expect(await migrateDown(db)).toEqual(['0017_people']);
    expect((await db.introspection.getTables()).map((t) => t.name)).not.toContain('notifications');
    expect(await indexNames(db, 'tasks_due_soon')).toEqual([]);
    expect(await migrateDown(db)).toEqual(['0016_import_jobs']);
    expect((await db.introspection.getTables()).map((t) => t.name)).not.toContain('import_jobs');
    expect(await indexNames(db, 'tasks_ws_creator')).toEqual(['tasks_ws_creator_idx']);
    expect(await migrateDown(db)).toEqual(['0015_views']);
    expect((await db.introspection.getTables()).map((t) => t.name)).not.toContain('views');
    expect(await indexNames(db, 'tasks_ws_creator')).toEqual([]);
    expect(await migrateDown(db)).toEqual(['0014_trash']);
    expect((await db.introspection.getTables()).map((t) => t.name)).not.toContain('trashed_tasks');
    expect(await migrateDown(db)).toEqual(['0013_workflow_states']);
    expect((await db.introspection.getTables()).map((t) => t.name)).not.toContain('project_states');
    expect(await migrateDown(db)).toEqual(['0012_task_relations']);
    expect((await db.introspection.getTables()).map((t) => t.name)).not.toContain('task_relations');
    expect(await migrateDown(db)).toEqual(['0011_subtasks']);
    expect(await migrateDown(db)).toEqual(['0010_stream_leases']);
    expect((await db.introspection.getTables()).map((t) => t.name)).not.toContain('stream_leases');
    expect(await migrateDown(db)).toEqual(['0009_webhooks']);
    expect((await db.introspection.getTables()).map((t) => t.name)).not.toContain('webhooks');
    expect(await migrateDown(db)).toEqual(['0008_workspace_event_seq']);
    expect((await db.introspection.getTables()).map((t) => t.name)).not.toContain(
      'legacy_event_ids',
    );
    expect(await migrateDown(db)).toEqual(['0007_accounts']);
    expect((await db.introspection.getTables()).map((t) => t.name)).not.toContain(
      'trusted_devices',
    );
    expect(await migrateDown(db)).toEqual(['0006_idempotency']);
    expect((await db.introspection.getTables()).map((t) => t.name)).not.toContain(
      'idempotency_keys',
    );
    expect(await migrateDown(db)).toEqual(['0005_stats_indexes']);
    expect(await statusIndexes()).toEqual(['tasks_ws_status_idx']);
    expect(await migrateDown(db)).toEqual(['0004_task_list_indexes']);
    expect(await dueIndexes()).toEqual(['tasks_ws_due_idx']);
    expect(await migrateDown(db)).toEqual(['0003_domain']);
    expect((await db.introspection.getTables()).map((t) => t.name)).not.toContain(
      'task_search_docs',
    );
    expect(await migrateDown(db)).toEqual(['0002_access_control']);
    expect((await db.introspection.getTables()).map((t) => t.name)).not.toContain('invites');
    expect(await migrateDown(db)).toEqual(['0001_initial']);
    expect(await db.introspection.getTables()).toEqual([]);
  });

  it('enforces foreign keys', async () => {
    const { db } = await testDatabase();
    const now = new Date().toISOString();
    const error = await db
      .insertInto('memberships')
      .values({ workspace_id: 'nope', user_id: 'nope', role: 'owner', created_at: now })
      .execute()
      .catch((caught: unknown) => caught);
    expect(isForeignKeyViolation(error)).toBe(true);
  });

  it('answers counts as numbers', async () => {
    const { db } = await testDatabase();
    const row = await db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll().as('count'))
      .executeTakeFirstOrThrow();
    expect(row.count).toBe(0);
  });
});
