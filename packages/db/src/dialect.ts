import { type Kysely, PostgresAdapter, type RawBuilder, SqliteAdapter, sql } from 'kysely';

/** The SQL dialects Trellis runs on. */
export type Dialect = 'sqlite' | 'postgres';

/**
 * Which dialect `db` (a Kysely instance or a transaction) speaks, for the few queries and
 * migrations that must differ. Read from the adapter createDatabase chose.
 */
export function dialectOf<DB>(db: Kysely<DB>): Dialect {
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof PostgresAdapter) return 'postgres';
  if (adapter instanceof SqliteAdapter) return 'sqlite';
  throw new Error(`unsupported Kysely adapter ${adapter.constructor.name}`);
}

/**
 * `column` for a WHERE or GROUP BY term that SQLite must not pick an index for: SQLite
 * reads a unary `+` as "not this index" (its documented planner hint). PostgreSQL plans
 * from statistics and has no such hint (and no unary + on text), so it gets the column.
 */
export function withoutIndexHint<DB>(db: Kysely<DB>, column: string): RawBuilder<unknown> {
  return dialectOf(db) === 'sqlite' ? sql`+${sql.ref(column)}` : sql`${sql.ref(column)}`;
}
