import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from './schema.js';

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
  return new Kysely<Database>({
    dialect: new SqliteDialect({ database: openSqlite(target.filename, options) }),
  });
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
  return sqlite;
}
