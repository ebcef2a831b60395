import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from './schema.js';
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

/** Options for tuning the embedded database. */
export interface DatabaseOptions {
  /** How long a writer waits for another connection's lock, in ms. */
  busyTimeoutMs?: number;
  /**
   * How many prepared statements to keep for reuse (default 500, least recently used
   * dropped first); 0 compiles every query anew, as Kysely's own driver does.
   */
  statementCacheSize?: number;
}

/**
 * Opens the database a URL names and returns a Kysely instance for it. The dialect
 * choice lives here and only here.
 */
export function createDatabase(url: string, options: DatabaseOptions = {}): Kysely<Database> {
  const target = parseDatabaseUrl(url);
  if (target.dialect === 'postgres') {
    throw new Error('PostgreSQL is not supported yet: use a file: URL for SQLite');
  }
  const { statementCacheSize = DEFAULT_STATEMENT_CACHE_SIZE } = options;
  // Checked before opening, so that a bad option does not leave a file handle behind.
  if (!Number.isSafeInteger(statementCacheSize) || statementCacheSize < 0) {
    throw new RangeError(`statementCacheSize must be 0 or more, got ${statementCacheSize}`);
  }
  const sqlite = openSqlite(target.filename, options);
  const database =
    statementCacheSize === 0 ? sqlite : withStatementCache(sqlite, statementCacheSize);
  return new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
}

function openSqlite(filename: string, { busyTimeoutMs = 5000 }: DatabaseOptions): SQLite.Database {
  if (filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true });
  const sqlite = new SQLite(filename);
  // WAL lets readers run beside the one writer; NORMAL sync under WAL survives a
  // process crash (not a power cut) at a fraction of FULL's fsync cost.
  if (filename !== ':memory:') sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
  // Lets SQLite gather the table statistics its planner needs (what SQLite recommends on
  // opening a long-lived connection); cheap, and a no-op when they are fresh.
  sqlite.pragma('optimize = 0x10002');
  return sqlite;
}
