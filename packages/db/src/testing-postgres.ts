import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { createDatabase, databasePoolStats } from './database.js';
import { migrateToLatest } from './migrate.js';
import { migrations } from './migrations/index.js';
import type { Database } from './schema.js';
import {
  emptyForReuse,
  LEASE_APPLICATION_NAME,
  type ReusePlan,
  reusePlan,
} from './testing-postgres-reuse.js';

// Test databases on PostgreSQL (see createTestDatabase in testing.ts).
//
// Migrating a database takes far longer than copying one, so each migration set is
// applied once, to a template database named after a hash of the migration names, and
// tests get `CREATE DATABASE … TEMPLATE` of it. Parallel vitest workers (and parallel
// test runs) build the template under one advisory lock; it is built under a temporary
// name and renamed when complete, so a crash mid-build leaves no half-migrated template.
//
// A copy still costs more than most tests, so a test's database, emptied, goes to the next
// test of the same process, with its pool's connections still open
// (testing-postgres-reuse.ts); one a test changed or left in use is dropped, and then a
// spare copy is made while the next test runs. The databases a process still holds when it
// ends (and those of a test that died before destroy()) outlive it: every copy's name says
// which host and process made it and when, and a process asking for its first copy drops
// those of processes of this host that have ended, and any older than STALE_AFTER_MS.

/** Where the test PostgreSQL is when TRELLIS_TEST_POSTGRES_URL does not say. */
const DEFAULT_TEST_POSTGRES_URL = 'postgres://postgres@127.0.0.1:54329/postgres';
const TEMPLATE_LOCK_KEY = 0x7431_7e11; // any constant: names the lock on the admin database
const STALE_AFTER_MS = 60 * 60 * 1000;
const TEST_DATABASE_PREFIX = 'trellis_t_';
/** Which machine made a copy: process ids only mean something on their own host. */
const HOST = createHash('sha256').update(hostname()).digest('hex').slice(0, 6);

/** A PostgreSQL database for one test, migrated (and emptied) or empty. */
export interface PostgresTestDatabase {
  name: string;
  url: string;
  /** The test's handle on it (a migrated one's destroy() leaves its pool open). */
  db: Kysely<Database>;
  /** Hands the database on to the next test, or drops it, ending its connections. */
  release(): Promise<void>;
}

function adminUrl(): string {
  return process.env.TRELLIS_TEST_POSTGRES_URL || DEFAULT_TEST_POSTGRES_URL;
}

/** `base` with its database name replaced by `name`. */
function urlForDatabase(base: string, name: string): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

let admin: pg.Pool | undefined;
function adminPool(): pg.Pool {
  // allowExitOnIdle: an idle admin connection must not keep a test worker alive.
  admin ??= new pg.Pool({ connectionString: adminUrl(), max: 2, allowExitOnIdle: true });
  return admin;
}

let template: Promise<string> | undefined;
function templateDatabase(): Promise<string> {
  template ??= prepareTemplate().catch((error: unknown) => {
    template = undefined;
    throw error;
  });
  return template;
}

async function prepareTemplate(): Promise<string> {
  const hash = createHash('sha256').update(migrationsFingerprint()).digest('hex');
  const name = `trellis_tpl_${hash.slice(0, 16)}`;
  const client = await adminPool().connect();
  try {
    await client.query('select pg_advisory_lock($1)', [TEMPLATE_LOCK_KEY]);
    await dropLeftOvers(client);
    const exists = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (exists.rowCount === 0) {
      const building = `${name}_building`;
      await client.query(`drop database if exists ${building} with (force)`);
      await client.query(`create database ${building}`);
      const db = createDatabase(urlForDatabase(adminUrl(), building), { poolSize: 1 });
      try {
        await migrateToLatest(db);
      } finally {
        await db.destroy();
      }
      await client.query(`alter database ${building} rename to ${name}`);
    }
    return name;
  } finally {
    await client.query('select pg_advisory_unlock($1)', [TEMPLATE_LOCK_KEY]).catch(() => {});
    client.release();
  }
}

/**
 * The migration names, and the source of their up and down functions: a migration edited
 * during development gets a new template instead of a stale one. (Released migrations
 * never change; code they call in other modules is not covered.)
 */
function migrationsFingerprint(): string {
  return Object.entries(migrations)
    .map(([name, { up, down }]) => `${name}\n${up.toString()}\n${down?.toString() ?? ''}`)
    .join('\n');
}

/** `trellis_t_<seconds>_<host>_<pid>_<random>`, numbers in base 36. */
function newDatabaseName(): string {
  const seconds = Math.floor(Date.now() / 1000).toString(36);
  const pid = process.pid.toString(36);
  return `${TEST_DATABASE_PREFIX}${seconds}_${HOST}_${pid}_${randomBytes(4).toString('hex')}`;
}

/** Whether a copy's maker is gone: an ended process of this host, or older than the limit. */
function isLeftOver(name: string): boolean {
  const [seconds = '', host = '', pid = ''] = name.slice(TEST_DATABASE_PREFIX.length).split('_');
  if (Date.now() - Number.parseInt(seconds, 36) * 1000 > STALE_AFTER_MS) return true;
  if (host !== HOST) return false;
  try {
    process.kill(Number.parseInt(pid, 36), 0); // signal 0: only asks whether it exists
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function dropLeftOvers(client: pg.PoolClient): Promise<void> {
  const { rows } = await client.query<{ datname: string }>(
    'select datname from pg_database where starts_with(datname, $1)',
    [TEST_DATABASE_PREFIX],
  );
  for (const { datname } of rows) {
    if (!isLeftOver(datname)) continue;
    // Another process may drop it first; either way it is gone.
    await client.query(`drop database if exists ${datname} with (force)`).catch(() => {});
  }
}

async function copyTemplate(): Promise<string> {
  const name = newDatabaseName();
  await adminPool().query(`create database ${name} template ${await templateDatabase()}`);
  return name;
}

function dropDatabase(name: string): Promise<unknown> {
  return adminPool().query(`drop database if exists ${name} with (force)`);
}

/** A migrated database this process holds, open through `db`'s pool. */
interface Lease {
  name: string;
  /** What tests get: its destroy() leaves the pool open (see {@link newLease}). */
  db: Kysely<Database>;
  /** Closes the pool for good. */
  close(): Promise<void>;
  plan: ReusePlan;
}

/** Emptied databases waiting for the next test. */
const idle: Lease[] = [];
/** A copy made ahead, after a test's database could not be reused. */
let spare: Promise<string> | undefined;

async function newLease(): Promise<Lease> {
  const taken = spare;
  spare = undefined;
  const name = taken ? await taken.catch(copyTemplate) : await copyTemplate();
  const url = new URL(urlForDatabase(adminUrl(), name));
  url.searchParams.set('application_name', LEASE_APPLICATION_NAME);
  const db = createDatabase(url.toString());
  // A server under test closes the database it was given when it stops, as in production.
  // Its warm connections are most of what reuse saves (apps/server on PostgreSQL: 33 s of
  // the server's CPU with a new pool per test, 17 s with the lease's own), so that close
  // ends only the test's use; the pool closes with the database, in release().
  const close = db.destroy.bind(db);
  Object.defineProperty(db, 'destroy', { value: async () => {} });
  return { name, db, close, plan: await reusePlan(db) };
}

async function release(lease: Lease): Promise<void> {
  const pool = databasePoolStats(lease.db);
  // A query still running (or waiting) belongs to a test that has ended.
  const quiet = pool !== undefined && pool.idle === pool.total && pool.waiting === 0;
  if (quiet && (await emptyForReuse(lease.db, lease.plan))) {
    idle.push(lease);
    return;
  }
  // Not awaited: a query still running would keep the pool from closing; the drop ends it.
  void lease.close().catch(() => {});
  await dropDatabase(lease.name);
  // The next test will likely do as this one did.
  spare ??= copyTemplate();
  spare.catch(() => {}); // its failure is handled by whoever takes it
}

async function emptyDatabase(): Promise<string> {
  const name = newDatabaseName();
  // template0: an empty database, whatever extensions template1 may have gathered.
  await adminPool().query(`create database ${name} template template0`);
  return name;
}

/** A database on the test PostgreSQL: migrated (emptied, or a template copy), or empty. */
export async function createPostgresTestDatabase(migrate: boolean): Promise<PostgresTestDatabase> {
  if (migrate) {
    const lease = idle.pop() ?? (await newLease());
    let released: Promise<void> | undefined;
    return {
      name: lease.name,
      url: urlForDatabase(adminUrl(), lease.name),
      db: lease.db,
      release: () => {
        released ??= release(lease);
        return released;
      },
    };
  }
  const name = await emptyDatabase();
  const url = urlForDatabase(adminUrl(), name);
  const db = createDatabase(url);
  return {
    name,
    url,
    db,
    async release() {
      await db.destroy();
      await dropDatabase(name);
    },
  };
}
