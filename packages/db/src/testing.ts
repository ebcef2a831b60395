import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import { createDatabase } from './database.js';
import { type Dialect, dialectOf } from './dialect.js';
import { migrateToLatest } from './migrate.js';
import type { Database } from './schema.js';
import { createPostgresTestDatabase } from './testing-postgres.js';

/** A migrated database of its own for one test (a temp SQLite file, or a PostgreSQL database). */
export interface TestDatabase {
  db: Kysely<Database>;
  /** A URL another process (a spawned server) can open the same database with. */
  url: string;
  dialect: Dialect;
  /**
   * Closes the database and deletes it (its folder; a PostgreSQL database is emptied for
   * the process's next test, or dropped). `db` is not the test's to use after it.
   */
  destroy(): Promise<void>;
}

/**
 * The dialect this test run targets: TRELLIS_TEST_DIALECT (`sqlite`, the default, or
 * `postgres`). Tests that only make sense on one dialect say so with it.
 */
export function testDatabaseDialect(): Dialect {
  const value = process.env.TRELLIS_TEST_DIALECT ?? 'sqlite';
  if (value === 'sqlite' || value === 'postgres' || value === '') return value || 'sqlite';
  throw new Error(`TRELLIS_TEST_DIALECT must be sqlite or postgres, got ${value}`);
}

/** Options for createTestDatabase. */
export interface TestDatabaseOptions {
  /** Apply every migration (default true); false gives an empty database, for migration tests. */
  migrate?: boolean;
}

/**
 * A fresh, migrated database for one test, on the dialect the run targets. Call
 * `destroy()` after.
 */
export async function createTestDatabase({
  migrate = true,
}: TestDatabaseOptions = {}): Promise<TestDatabase> {
  return testDatabaseDialect() === 'postgres'
    ? postgresTestDatabase(migrate)
    : createSqliteTestDatabase(migrate);
}

async function createSqliteTestDatabase(migrate: boolean): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-test-'));
  const url = `file:${join(dir, 'trellis.db')}`;
  const db = createDatabase(url);
  if (migrate) await migrateToLatest(db);
  return {
    db,
    url,
    dialect: 'sqlite',
    async destroy() {
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgresTestDatabase(migrate: boolean): Promise<TestDatabase> {
  const database = await createPostgresTestDatabase(migrate);
  return {
    db: database.db,
    url: database.url,
    dialect: 'postgres',
    destroy: () => database.release(),
  };
}

/**
 * Makes the database refuse every insert into `table` (or only those whose `only.column`
 * equals `only.value`) with an error whose message holds `message`, through a trigger: for
 * tests of what a failed write leaves behind.
 */
export async function refuseInserts(
  db: Kysely<Database>,
  table: keyof Database & string,
  message: string,
  only?: { column: string; value: string },
): Promise<void> {
  const trigger = sql.id(`refuse_${table}`);
  const when = only ? sql`${sql.ref(`new.${only.column}`)} = ${sql.lit(only.value)}` : sql`true`;
  if (dialectOf(db) === 'postgres') {
    const fn = sql.id(`refuse_${table}_fn`);
    const body = `begin raise exception '%', ${`'${message.replaceAll("'", "''")}'`}; end`;
    await sql`create function ${fn}() returns trigger language plpgsql as ${sql.lit(body)}`.execute(
      db,
    );
    await sql`create trigger ${trigger} before insert on ${sql.table(table)}
      for each row when (${when}) execute function ${fn}()`.execute(db);
    return;
  }
  await sql`create trigger ${trigger} before insert on ${sql.table(table)} when ${when}
    begin select raise(abort, ${sql.lit(message)}); end`.execute(db);
}

/**
 * Search text that is FTS5 syntax, SQL, or just unkind: tests send each one and expect it to
 * be searched as words (never a 500), wherever search is reachable.
 */
export const HOSTILE_SEARCH_TEXT: readonly string[] = [
  '"',
  '""',
  '"unbalanced',
  'unbalanced"',
  '*',
  '**',
  'a*b',
  '*a',
  'NEAR(a b)',
  'NEAR(a b, 2)',
  'NEAR',
  'OR',
  'AND',
  'NOT',
  'a OR',
  'OR a',
  'a AND NOT b',
  '(',
  ')',
  '((a)',
  'title:x',
  '{title}: x',
  '{title description}: x',
  '-x',
  '^x',
  'x + y',
  "'; drop table tasks; --",
  '\u0000',
  'x\u0000y',
  '🔥🚀',
  'עברית ערבית عربي',
  '\u202etxet lrt\u202c',
  'w'.repeat(200),
  'ā'.repeat(200),
  '!@#$%^&*()_+-=[]{}|;:,.<>/?`~',
  '\ud800',
  'a\udfffb',
  '   ',
  '\t\n\r',
  'x'.repeat(64) + 'y'.repeat(64),
  Array.from({ length: 40 }, (_, i) => `w${i}`).join(' '),
  'rowid',
  'task_fts',
  '%_%',
  '\\',
  'a"b"c',
  'comments : x',
  "' OR 1=1 --",
  '&q=x&input=',
];
