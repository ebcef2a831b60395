import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createDatabase } from './database.js';
import { SqliteDialectKeepingErrors } from './sqlite-dialect.js';

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
      dialect: new SqliteDialectKeepingErrors({ database: sqlite }, sqlite),
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
