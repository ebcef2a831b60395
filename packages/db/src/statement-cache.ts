import type SQLite from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

// Kysely's SqliteDriver calls `database.prepare(sql)` for every query, and compiling SQL
// (parse + plan) costs more than running a point read. Its driver only ever calls
// `prepare` and `close` on the database and `reader`, `all`, `run` and `iterate` on a
// statement, so wrapping the database is enough: Kysely's connection mutex, transactions
// and savepoints stay its own.
//
// Reusing a statement is safe because Kysely never changes a statement's modes (raw,
// pluck, expand, safeIntegers) and binds its parameters on every call; better-sqlite3
// resets a statement after `all`/`run` and when an iterator ends or is returned. SQLite
// recompiles a cached statement by itself after a schema change (sqlite3_prepare_v2).

/** How many statements a connection keeps unless told otherwise. */
export const DEFAULT_STATEMENT_CACHE_SIZE = 500;

/** What a statement cache has done since it was opened, for tests and diagnostics. */
export interface StatementCacheStats {
  /** Statements compiled by SQLite: first uses, evicted ones coming back, busy fallbacks. */
  prepares: number;
  /** Queries served by a statement compiled earlier. */
  hits: number;
  /** Statements held now; never more than the cache's capacity. */
  size: number;
}

/** A better-sqlite3 database for Kysely's SqliteDialect that reuses prepared statements. */
export interface CachingSqliteDatabase extends SqliteDatabase {
  /** Counters since the cache was opened. */
  stats(): StatementCacheStats;
}

/**
 * Wraps `sqlite` so that `prepare(sql)` returns the statement compiled for the same SQL
 * text earlier, keeping the `capacity` most recently used ones. Pass the result to
 * `new SqliteDialect({ database })`; closing it closes `sqlite`.
 */
export function withStatementCache(
  sqlite: SQLite.Database,
  capacity: number = DEFAULT_STATEMENT_CACHE_SIZE,
): CachingSqliteDatabase {
  if (!Number.isSafeInteger(capacity) || capacity < 1) {
    throw new RangeError(`statement cache capacity must be a positive integer, got ${capacity}`);
  }
  // A Map iterates in insertion order, so re-inserting on every hit keeps the least
  // recently used statement first, where eviction finds it.
  const cache = new Map<string, SQLite.Statement>();
  let prepares = 0;
  let hits = 0;
  return {
    prepare(sql: string): SqliteStatement {
      const cached = cache.get(sql);
      // Busy means a stream over this statement is still open (a nested query in the same
      // transaction): running it again would throw, while a second statement may read.
      if (cached !== undefined && !cached.busy) {
        hits++;
        cache.delete(sql);
        cache.set(sql, cached);
        return cached;
      }
      const statement = sqlite.prepare(sql);
      prepares++;
      if (cached === undefined) {
        cache.set(sql, statement);
        if (cache.size > capacity) {
          const oldest = cache.keys().next();
          if (!oldest.done) cache.delete(oldest.value);
        }
      }
      return statement;
    },
    close() {
      // better-sqlite3 finalizes every statement on close; dropping ours lets them be freed.
      cache.clear();
      sqlite.close();
    },
    stats: () => ({ prepares, hits, size: cache.size }),
  };
}
