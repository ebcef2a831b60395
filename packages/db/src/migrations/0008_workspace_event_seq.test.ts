import { type Kysely, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { dialectOf } from '../dialect.js';
import { isUniqueViolation } from '../errors.js';
import { migrateDown, migrateToLatest, pendingMigrations } from '../migrate.js';
import type { Database } from '../schema.js';
import { createTestDatabase, type TestDatabase, testDatabaseDialect } from '../testing.js';

// 0008 numbers each workspace's existing log entries in log order, and remembers where the
// global numbering ended (ids issued before it still resume: packages/api activity queries).

const NAME = '0008_workspace_event_seq';
const databases: TestDatabase[] = [];
afterEach(async () => {
  for (const database of databases.splice(0)) await database.destroy();
});

/** A database migrated up to just before 0008. */
async function before0008(): Promise<Kysely<Database>> {
  const database = await createTestDatabase();
  databases.push(database);
  const { db } = database;
  while (!(await pendingMigrations(db)).includes(NAME)) await migrateDown(db);
  return db;
}

async function indexNames(db: Kysely<Database>): Promise<string[]> {
  const query =
    dialectOf(db) === 'postgres'
      ? sql<{ name: string }>`select indexname as name from pg_indexes
          where schemaname = current_schema() and tablename = 'activity' order by name`
      : sql<{ name: string }>`select name from sqlite_master
          where type = 'index' and tbl_name = 'activity' and sql is not null order by name`;
  return (await query.execute(db)).rows.map((row) => row.name);
}

describe(`migration ${NAME} on ${testDatabaseDialect()}`, () => {
  it("numbers each workspace's entries in log order, and keeps the last global seq", async () => {
    const db = await before0008();
    const at = '2030-01-01T00:00:00.000Z';
    for (const id of ['busy', 'quiet', 'empty']) {
      await sql`insert into workspaces (id, name, slug, created_at, updated_at)
        values (${id}, ${id}, ${id}, ${at}, ${at})`.execute(db);
    }
    // Interleaved, as the global log had them.
    const order = ['busy', 'busy', 'quiet', 'busy', 'quiet', 'busy', 'busy', 'quiet'];
    for (const [index, workspace] of order.entries()) {
      await sql`insert into activity (id, workspace_id, type, data, created_at)
        values (${`e${index}`}, ${workspace}, 'task.created', '{}', ${at})`.execute(db);
    }

    expect(await migrateToLatest(db)).toContain(NAME);

    const entries = await db
      .selectFrom('activity')
      .select(['id', 'workspace_id', 'workspace_seq'])
      .orderBy('seq')
      .execute();
    expect(entries.map((entry) => [entry.workspace_id, entry.workspace_seq])).toEqual([
      ['busy', 1],
      ['busy', 2],
      ['quiet', 1],
      ['busy', 3],
      ['quiet', 2],
      ['busy', 4],
      ['busy', 5],
      ['quiet', 3],
    ]);
    const counters = await db
      .selectFrom('workspaces')
      .select(['id', 'activity_seq'])
      .orderBy('id')
      .execute();
    expect(counters).toEqual([
      { id: 'busy', activity_seq: 5 },
      { id: 'empty', activity_seq: 0 },
      { id: 'quiet', activity_seq: 3 },
    ]);
    const { seq: lastSeq } = await db
      .selectFrom('activity')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .executeTakeFirstOrThrow();
    expect(await db.selectFrom('legacy_event_ids').selectAll().execute()).toEqual([
      { last_seq: lastSeq },
    ]);
    expect(await indexNames(db)).toEqual(
      expect.arrayContaining(['activity_task_wseq_idx', 'activity_ws_wseq_idx']),
    );
    expect(await indexNames(db)).not.toContain('activity_ws_seq_idx');

    // A number is taken once per workspace.
    const duplicate = await db
      .insertInto('activity')
      .values({
        id: 'again',
        workspace_id: 'quiet',
        workspace_seq: 3,
        type: 'task.created',
        data: '{}',
        created_at: at,
        project_id: null,
        task_id: null,
        actor_id: null,
        api_token_id: null,
      })
      .execute()
      .catch((error: unknown) => error);
    expect(isUniqueViolation(duplicate)).toBe(true);
  });

  it('goes down to the indexes on seq, and up again', async () => {
    const db = await before0008();
    await migrateToLatest(db);
    while (!(await pendingMigrations(db)).includes(NAME)) await migrateDown(db);

    expect(await indexNames(db)).toEqual(
      expect.arrayContaining(['activity_task_seq_idx', 'activity_ws_seq_idx']),
    );
    expect((await db.introspection.getTables()).map((t) => t.name)).not.toContain(
      'legacy_event_ids',
    );
    expect(await migrateToLatest(db)).toContain(NAME);
  });
});
