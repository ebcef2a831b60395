import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createDatabase } from './database.js';
import { TrellisSqliteDialect } from './sqlite-dialect.js';

// SQLite rolls back by itself after SQLITE_FULL or an I/O error at commit; the test does
// that rollback by hand, which leaves Kysely's own ROLLBACK with nothing to roll back.

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-dialect-'));
  dirs.push(dir);
  return join(dir, 't.db');
}

/** A transaction that SQLite already rolled back when it fails with `original`. */
function failAfterSqliteRolledBack<DB>(db: Kysely<DB>, original: Error): Promise<unknown> {
  return db.transaction().execute(async (trx) => {
    await sql`create table if not exists t (x integer)`.execute(trx);
    await sql`rollback`.execute(trx);
    throw original;
  });
}

describe('a transaction SQLite has already rolled back', () => {
  it("loses its error under Kysely's own dialect (why this dialect exists)", async () => {
    const db = new Kysely({ dialect: new SqliteDialect({ database: new SQLite(tempFile()) }) });

    await expect(failAfterSqliteRolledBack(db, new Error('disk full'))).rejects.toThrow(
      'no transaction is active',
    );
    await db.destroy();
  });

  it('keeps its own error', async () => {
    const sqlite = new SQLite(tempFile());
    const db = new Kysely({
      dialect: new TrellisSqliteDialect({ database: sqlite }, sqlite),
    });

    await expect(failAfterSqliteRolledBack(db, new Error('disk full'))).rejects.toThrow(
      'disk full',
    );
    // The connection is usable afterwards, and an ordinary failure still rolls back.
    await sql`create table u (x integer)`.execute(db);
    await expect(
      db.transaction().execute(async (trx) => {
        await sql`insert into u values (1)`.execute(trx);
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    expect((await sql<{ n: number }>`select count(*) as n from u`.execute(db)).rows[0]?.n).toBe(0);
    await db.destroy();
  });

  it('is what createDatabase uses for SQLite', async () => {
    const db = createDatabase(`file:${tempFile()}`);

    await expect(failAfterSqliteRolledBack(db, new Error('disk full'))).rejects.toThrow(
      'disk full',
    );
    await db.destroy();
  });
});

type OneTable = { t: { x: number } };

/**
 * A WAL file with table `t` and two connections to it, as two server processes have: `other`
 * (raw, no busy wait: a lock held elsewhere fails at once) and `db` (Kysely over `dialect`).
 */
function twoConnections(dialect: 'kysely' | 'trellis') {
  const file = tempFile();
  const other = new SQLite(file);
  other.pragma('journal_mode = WAL');
  other.exec('create table t (x integer)');
  other.pragma('busy_timeout = 0');
  const sqlite = new SQLite(file);
  const db = new Kysely<OneTable>({
    dialect:
      dialect === 'kysely'
        ? new SqliteDialect({ database: sqlite })
        : new TrellisSqliteDialect({ database: sqlite }, sqlite),
  });
  return {
    db,
    other,
    async close() {
      await db.destroy();
      other.close();
    },
  };
}

describe('transactions on a file two connections share (two server processes)', () => {
  /** A transaction that reads, lets the other connection commit a write, then writes. */
  async function readThenWriteAfterOtherCommits(db: Kysely<OneTable>, other: SQLite.Database) {
    return db.transaction().execute(async (trx) => {
      await trx.selectFrom('t').select('x').execute();
      // The other process commits while this one is between its read and its write; with a
      // deferred BEGIN this transaction's snapshot is now stale and its write is refused.
      try {
        other.prepare('insert into t values (2)').run();
      } catch {
        // Locked out by this transaction's immediate BEGIN, as it should be.
      }
      await trx.insertInto('t').values({ x: 1 }).execute();
    });
  }

  it('a deferred BEGIN (Kysely) fails when the other commits between its read and write', async () => {
    const { db, other, close } = twoConnections('kysely');

    await expect(readThenWriteAfterOtherCommits(db, other)).rejects.toThrow(/locked|busy/i);
    await close();
  });

  it('begins immediately, so the write lock is held from the start and the write succeeds', async () => {
    const { db, other, close } = twoConnections('trellis');

    await readThenWriteAfterOtherCommits(db, other);
    expect(other.prepare('select x from t order by x').all()).toEqual([{ x: 1 }]);
    await close();
  });
});

describe('read-only transactions', () => {
  it('stay deferred: another connection can write while one is open', async () => {
    const { db, other, close } = twoConnections('trellis');

    const seen = await db
      .transaction()
      .setAccessMode('read only')
      .execute(async (trx) => {
        const before = await trx.selectFrom('t').select('x').execute();
        other.prepare('insert into t values (3)').run(); // would be SQLITE_BUSY under a write lock
        return before;
      });
    expect(seen).toEqual([]);
    expect(other.prepare('select x from t').all()).toEqual([{ x: 3 }]);
    await close();
  });
});
