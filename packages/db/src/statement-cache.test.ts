import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createDatabase } from './database.js';
import { migrateDown, migrateToLatest, pendingMigrations } from './migrate.js';
import { migrations } from './migrations/index.js';
import { type CachingSqliteDatabase, withStatementCache } from './statement-cache.js';
import { testDatabaseDialect } from './testing.js';

interface NotesDb {
  notes: { id: number; body: string };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-stmt-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'test.db');
}

/** A Kysely on a real file whose statements go through a cache we can count. */
async function openNotes(capacity?: number) {
  const sqlite = new SQLite(tempFile());
  sqlite.pragma('journal_mode = WAL');
  const cache = withStatementCache(sqlite, capacity);
  const db = new Kysely<NotesDb>({ dialect: new SqliteDialect({ database: cache }) });
  cleanups.unshift(() => db.destroy());
  await db.schema
    .createTable('notes')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('body', 'text', (c) => c.notNull())
    .execute();
  return { db, cache, sqlite };
}

const bodyOf = (db: Kysely<NotesDb>, id: number) =>
  db.selectFrom('notes').select('body').where('id', '=', id).executeTakeFirst();

/** Counter changes while `work` runs. */
async function countDuring(cache: CachingSqliteDatabase, work: () => Promise<unknown>) {
  const before = cache.stats();
  await work();
  const after = cache.stats();
  return { prepares: after.prepares - before.prepares, hits: after.hits - before.hits };
}

// SQLite only: the statement cache wraps better-sqlite3, which the PostgreSQL pass does not
// use (pg keeps no such cache); running these twice would test the same thing twice.
const sqliteRun = testDatabaseDialect() === 'sqlite';

describe.runIf(sqliteRun)('withStatementCache under Kysely', () => {
  it('reads back what it writes, binding fresh parameters to a reused statement', async () => {
    const { db } = await openNotes();
    const first = await db.insertInto('notes').values({ id: 1, body: 'one' }).executeTakeFirst();
    const second = await db.insertInto('notes').values({ id: 2, body: 'two' }).executeTakeFirst();
    expect(first.insertId).toBe(1n);
    expect(second.insertId).toBe(2n);
    expect(await bodyOf(db, 1)).toEqual({ body: 'one' });
    expect(await bodyOf(db, 2)).toEqual({ body: 'two' });
    expect(await bodyOf(db, 3)).toBeUndefined();
    const updated = await db
      .updateTable('notes')
      .set({ body: 'uno' })
      .where('id', '=', 1)
      .execute();
    expect(updated[0]?.numUpdatedRows).toBe(1n);
    const returned = await db
      .insertInto('notes')
      .values({ id: 3, body: 'three' })
      .returning(['id', 'body'])
      .executeTakeFirstOrThrow();
    expect(returned).toEqual({ id: 3, body: 'three' });
    expect(await db.selectFrom('notes').selectAll().orderBy('id').execute()).toEqual([
      { id: 1, body: 'uno' },
      { id: 2, body: 'two' },
      { id: 3, body: 'three' },
    ]);
  });

  it('compiles each SQL text once and serves repeats from the cache', async () => {
    const { db, cache } = await openNotes();
    const counts = await countDuring(cache, async () => {
      for (let id = 1; id <= 10; id++) {
        await db
          .insertInto('notes')
          .values({ id, body: `note ${id}` })
          .execute();
        expect(await bodyOf(db, id)).toEqual({ body: `note ${id}` });
      }
    });
    expect(counts).toEqual({ prepares: 2, hits: 18 });
  });

  it('holds at most its capacity, dropping the least recently used statement', async () => {
    const { db, cache } = await openNotes(2);
    const a = () => sql`select 1 as a`.execute(db);
    const b = () => sql`select 2 as b`.execute(db);
    const c = () => sql`select 3 as c`.execute(db);
    await a();
    await b();
    await a(); // a is now more recent than b
    expect(await countDuring(cache, c)).toEqual({ prepares: 1, hits: 0 }); // evicts b
    expect(cache.stats().size).toBe(2);
    expect(await countDuring(cache, a)).toEqual({ prepares: 0, hits: 1 });
    expect(await countDuring(cache, b)).toEqual({ prepares: 1, hits: 0 }); // evicts c
    expect(await countDuring(cache, c)).toEqual({ prepares: 1, hits: 0 });
    expect(cache.stats().size).toBe(2);
    expect((await c()).rows).toEqual([{ c: 3 }]);
  });

  it('commits and rolls back through cached begin, commit and rollback statements', async () => {
    const { db, cache } = await openNotes();
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('notes').values({ id: 1, body: 'kept' }).execute();
      expect(await bodyOf(trx, 1)).toEqual({ body: 'kept' });
    });
    const failing = db.transaction().execute(async (trx) => {
      await trx.insertInto('notes').values({ id: 2, body: 'undone' }).execute();
      expect(await bodyOf(trx, 2)).toEqual({ body: 'undone' });
      throw new Error('abort');
    });
    await expect(failing).rejects.toThrow('abort');
    expect(await bodyOf(db, 1)).toEqual({ body: 'kept' });
    expect(await bodyOf(db, 2)).toBeUndefined();
    // A second round compiles nothing: begin, insert, select, rollback and commit are all cached.
    const again = await countDuring(cache, async () => {
      const retry = db.transaction().execute(async (trx) => {
        await trx.insertInto('notes').values({ id: 2, body: 'undone' }).execute();
        throw new Error('abort');
      });
      await expect(retry).rejects.toThrow('abort');
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('notes').values({ id: 3, body: 'kept too' }).execute();
      });
    });
    expect(again.prepares).toBe(0);
    expect(await db.selectFrom('notes').select('id').orderBy('id').execute()).toEqual([
      { id: 1 },
      { id: 3 },
    ]);
  });

  it('rolls back to a savepoint inside a transaction', async () => {
    const { db } = await openNotes();
    const trx = await db.startTransaction().execute();
    await trx.insertInto('notes').values({ id: 1, body: 'outer' }).execute();
    const inner = await trx.savepoint('inner').execute();
    await inner.insertInto('notes').values({ id: 2, body: 'inner' }).execute();
    await inner.rollbackToSavepoint('inner').execute();
    await inner.releaseSavepoint('inner').execute();
    await trx.commit().execute();
    expect(await db.selectFrom('notes').select('id').execute()).toEqual([{ id: 1 }]);
  });

  it('sees schema changes through statements compiled before them', async () => {
    const { db, sqlite } = await openNotes();
    await db.insertInto('notes').values({ id: 1, body: 'one' }).execute();
    const everything = () => sql<Record<string, unknown>>`select * from notes`.execute(db);
    expect((await everything()).rows).toEqual([{ id: 1, body: 'one' }]);
    await db.schema.alterTable('notes').addColumn('pinned', 'integer').execute();
    expect((await everything()).rows).toEqual([{ id: 1, body: 'one', pinned: null }]);
    await db.schema.dropTable('notes').execute();
    await expect(everything()).rejects.toThrow(/no such table/);
    sqlite.exec(
      "create table notes (id integer primary key, title text); insert into notes values (7, 'seven')",
    );
    expect((await everything()).rows).toEqual([{ id: 7, title: 'seven' }]);
  });

  it('streams through a reused statement, and starts over after a stream is cut short', async () => {
    const { db, cache } = await openNotes();
    for (let id = 1; id <= 5; id++) {
      await db
        .insertInto('notes')
        .values({ id, body: `n${id}` })
        .execute();
    }
    const query = (on: Kysely<NotesDb>) =>
      on.selectFrom('notes').select('id').where('id', '>=', 2).orderBy('id');
    const streamed: number[] = [];
    const counts = await countDuring(cache, async () => {
      for await (const row of query(db).stream()) streamed.push(row.id);
      // Breaking out of a stream resets its statement, so the next run starts over.
      for await (const row of query(db).stream()) {
        expect(row.id).toBe(2);
        break;
      }
      expect(await query(db).execute()).toHaveLength(4);
    });
    expect(streamed).toEqual([2, 3, 4, 5]);
    expect(counts).toEqual({ prepares: 1, hits: 2 });
  });

  it('compiles a second statement while the cached one is still iterating', async () => {
    // Kysely serializes queries even inside a transaction, so only a direct caller of
    // prepare() can get here; better-sqlite3 would refuse to rerun a busy statement.
    const { db, cache } = await openNotes();
    await db
      .insertInto('notes')
      .values([
        { id: 1, body: 'a' },
        { id: 2, body: 'b' },
      ])
      .execute();
    const text = 'select id from notes order by id';
    const outer = cache.prepare(text).iterate([]);
    expect(outer.next().value).toEqual({ id: 1 });
    expect(cache.prepare(text).all([])).toEqual([{ id: 1 }, { id: 2 }]);
    expect(cache.stats()).toMatchObject({ prepares: 4, hits: 0, size: 3 }); // +1: the fallback
    outer.return?.();
    expect(cache.prepare(text).all([])).toEqual([{ id: 1 }, { id: 2 }]);
    expect(cache.stats()).toMatchObject({ prepares: 4, hits: 1 });
  });

  it('closes the database when Kysely is destroyed', async () => {
    const sqlite = new SQLite(tempFile());
    const db = new Kysely<NotesDb>({
      dialect: new SqliteDialect({ database: withStatementCache(sqlite) }),
    });
    await sql`select 1`.execute(db);
    await db.destroy();
    expect(sqlite.open).toBe(false);
  });

  it('refuses a capacity that is not a positive integer', () => {
    const sqlite = new SQLite(':memory:');
    expect(() => withStatementCache(sqlite, 0)).toThrow(RangeError);
    expect(() => withStatementCache(sqlite, 1.5)).toThrow(RangeError);
    sqlite.close();
  });
});

describe.runIf(sqliteRun)('createDatabase with its statement cache', () => {
  it('migrates down to nothing and up again, then queries the new tables', async () => {
    const db = createDatabase(`file:${tempFile()}`);
    cleanups.unshift(() => db.destroy());
    const now = new Date().toISOString();
    const workspace = { id: 'w1', name: 'W', slug: 'w', created_at: now, updated_at: now };
    const countWorkspaces = () =>
      db
        .selectFrom('workspaces')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
    await migrateToLatest(db);
    await db.insertInto('workspaces').values(workspace).execute();
    expect(await countWorkspaces()).toEqual({ n: 1 });
    while ((await pendingMigrations(db)).length < Object.keys(migrations).length) {
      await migrateDown(db);
    }
    await expect(countWorkspaces()).rejects.toThrow(/no such table/);
    await migrateToLatest(db);
    expect(await countWorkspaces()).toEqual({ n: 0 });
    await db.insertInto('workspaces').values(workspace).execute();
    expect(await countWorkspaces()).toEqual({ n: 1 });
  });

  it('refuses a negative cache size, and takes 0 to mean no cache', async () => {
    expect(() => createDatabase(':memory:', { statementCacheSize: -1 })).toThrow(RangeError);
    const db = createDatabase(':memory:', { statementCacheSize: 0 });
    expect((await sql`select 1 as one`.execute(db)).rows).toEqual([{ one: 1 }]);
    await db.destroy();
  });
});
