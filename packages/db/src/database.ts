import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect } from 'kysely';
import { createPostgresPool } from './postgres-pool.js';
import type { Database } from './schema.js';
import { TrellisSqliteDialect } from './sqlite-dialect.js';
import { DEFAULT_STATEMENT_CACHE_SIZE, withStatementCache } from './statement-cache.js';

/** Where a database URL points, decided once so that every caller agrees. */
export type DatabaseTarget =
  | { dialect: 'sqlite'; filename: string }
  | { dialect: 'postgres'; connectionString: string };

/**
 * Reads a database URL: `file:./data/trellis.db`, a plain path, `:memory:`, or
 * `postgres://…`. Throws on anything else.
 */
export function parseDatabaseUrl(url: string): DatabaseTarget {
  if (url === ':memory:' || url === 'file::memory:')
    return { dialect: 'sqlite', filename: ':memory:' };
  if (/^postgres(ql)?:\/\//.test(url)) return { dialect: 'postgres', connectionString: url };
  if (url.startsWith('file:')) {
    const filename = url.slice('file:'.length).replace(/^\/\/(?=\/)/, '');
    if (filename === '') throw new Error(`database URL ${url} names no file`);
    return { dialect: 'sqlite', filename };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    throw new Error(`unsupported database URL scheme in ${url.split('://')[0]}://…`);
  }
  if (url === '') throw new Error('database URL is empty');
  return { dialect: 'sqlite', filename: url };
}

/** A PostgreSQL connection pool's counts right now, for metrics. */
export interface PoolStats {
  /** Connections open, idle or busy. */
  total: number;
  idle: number;
  /** Queries waiting for a connection. */
  waiting: number;
}

const pools = new WeakMap<
  Kysely<Database>,
  { totalCount: number; idleCount: number; waitingCount: number }
>();

/** The connection pool counts of a PostgreSQL database from createDatabase; undefined for SQLite. */
export function databasePoolStats(db: Kysely<Database>): PoolStats | undefined {
  const pool = pools.get(db);
  return pool && { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
}

/** Options for tuning the database connection(s). */
export interface DatabaseOptions {
  /** PostgreSQL: how many connections the pool may open (default 10). */
  poolSize?: number;
  /** SQLite: how long a writer waits for another connection's lock, in ms. */
  busyTimeoutMs?: number;
  /**
   * SQLite: how many prepared statements to keep for reuse (default 500, least recently used
   * dropped first); 0 compiles every query anew, as Kysely's own driver does.
   */
  statementCacheSize?: number;
  /**
   * SQLite: `normal` (default; under WAL a commit survives the process crashing, and a power
   * loss can lose the last commits but never corrupts the file) or `full` (a commit also
   * survives power loss, at an fsync per commit).
   */
  synchronous?: 'normal' | 'full';
}

/**
 * Opens the database a URL names and returns a Kysely instance for it. The dialect
 * choice lives here and only here.
 */
export function createDatabase(url: string, options: DatabaseOptions = {}): Kysely<Database> {
  const target = parseDatabaseUrl(url);
  if (target.dialect === 'postgres') {
    const pool = createPostgresPool(target.connectionString, options.poolSize);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    pools.set(db, pool);
    return db;
  }
  const { statementCacheSize = DEFAULT_STATEMENT_CACHE_SIZE } = options;
  // Checked before opening, so that a bad option does not leave a file handle behind.
  if (!Number.isSafeInteger(statementCacheSize) || statementCacheSize < 0) {
    throw new RangeError(`statementCacheSize must be 0 or more, got ${statementCacheSize}`);
  }
  const sqlite = openSqlite(target.filename, options);
  const database =
    statementCacheSize === 0 ? sqlite : withStatementCache(sqlite, statementCacheSize);
  return new Kysely<Database>({ dialect: new TrellisSqliteDialect({ database }, sqlite) });
}

function openSqlite(
  filename: string,
  { busyTimeoutMs = 5000, synchronous = 'normal' }: DatabaseOptions,
): SQLite.Database {
  if (filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true });
  const sqlite = new SQLite(filename);
  // WAL lets readers run beside the one writer; NORMAL sync under WAL survives a
  // process crash (not a power cut) at a fraction of FULL's fsync cost.
  if (filename !== ':memory:') sqlite.pragma('journal_mode = WAL');
  sqlite.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
  // Lets SQLite gather the table statistics its planner needs (what SQLite recommends on
  // opening a long-lived connection); cheap, and a no-op when they are fresh.
  sqlite.pragma('optimize = 0x10002');
  return sqlite;
}
