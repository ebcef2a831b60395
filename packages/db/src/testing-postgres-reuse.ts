import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.js';

// Handing one test's PostgreSQL database to the next (see testing-postgres.ts): emptied, it
// is as good as a new copy of the template, at a fraction of the cost. A copy costs the
// server ~25–90 ms of CPU, its drop ~20 ms, and each new connection ~30 ms more to start a
// backend and fill its catalog caches; emptying ~20 tables costs ~1 ms on a warm connection.
// Measured on members.test.ts (74 tests): 8–27 s of PostgreSQL CPU with a copy per test,
// 2.5–3 s with reuse.

/** Marks the connections of a leased database's own pool (anything else is a stranger). */
export const LEASE_APPLICATION_NAME = 'trellis test lease';

/** What a freshly copied database looks like, and how to bring a used one back to that. */
export interface ReusePlan {
  /** A query whose one value, `state`, is `clean` again once the database is emptied. */
  check: string;
  clean: string;
  /** Empties every table the migrations left empty, and restarts every sequence. */
  reset: string;
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * Reads a new copy of the template. Tables the migrations wrote rows to (their own
 * bookkeeping, `legacy_event_ids`) are left alone, and checked unchanged instead.
 */
export async function reusePlan(db: Kysely<Database>): Promise<ReusePlan> {
  const { rows: tables } = await sql<{ name: string }>`
    select tablename as name from pg_tables where schemaname = 'public'`.execute(db);
  const { rows: sequences } = await sql<{ name: string }>`
    select sequencename as name from pg_sequences where schemaname = 'public'`.execute(db);
  const names = tables.map((table) => quote(table.name));
  const filled = names.map((table) => `(select count(*) from (select from ${table} limit 1) r)`);
  const [counts] = (
    await sql.raw<{ counts: number[] }>(`select array[${filled.join(', ')}] as counts`).execute(db)
  ).rows;
  const seeded = names.filter((_, i) => Number(counts?.counts[i]) > 0);
  const emptied = names.filter((table) => !seeded.includes(table));
  const check = [
    'select concat_ws(',
    "  ' / ',",
    // What lives in `public` (tables, indexes, columns, constraints, triggers, functions):
    // tests add objects (refuseInserts' triggers), they never swap one for another.
    "  (select count(*) from pg_class where relnamespace = 'public'::regnamespace),",
    '  (select count(*) from pg_attribute a join pg_class c on c.oid = a.attrelid',
    "    where c.relnamespace = 'public'::regnamespace and not a.attisdropped),",
    "  (select count(*) from pg_constraint where connamespace = 'public'::regnamespace),",
    '  (select count(*) from pg_trigger t join pg_class c on c.oid = t.tgrelid',
    "    where c.relnamespace = 'public'::regnamespace),",
    "  (select count(*) from pg_proc where pronamespace = 'public'::regnamespace),",
    '  (select count(*) from pg_namespace),',
    ...seeded.map(
      (table) => `  (select md5(string_agg(r::text, ',' order by r::text)) from ${table} r),`,
    ),
    // Strangers: a process the test started (a server), or a connection it opened itself.
    '  (select count(*) from pg_stat_activity where datname = current_database()',
    `    and backend_type = 'client backend' and application_name <> '${LEASE_APPLICATION_NAME}')`,
    ') as state',
  ].join('\n');
  // replica: no foreign-key checks or triggers while every table is emptied anyway.
  const reset = [
    'begin',
    'set local session_replication_role = replica',
    ...emptied.map((table) => `delete from ${table}`),
    ...sequences.map((sequence) => `alter sequence ${quote(sequence.name)} restart`),
    'commit',
  ].join(';\n');
  return { check, clean: await state(db, check), reset };
}

async function state(db: Kysely<Database>, check: string): Promise<string> {
  const [row] = (await sql.raw<{ state: string }>(check).execute(db)).rows;
  return row?.state ?? '';
}

/**
 * Empties `db` for the next test when it can be reused: nothing of the last test still
 * connected, and the schema and migration-written rows as the template has them. Resolves
 * false when it cannot (also when the test closed the Kysely instance itself); the caller
 * then drops the database.
 */
export async function emptyForReuse(db: Kysely<Database>, plan: ReusePlan): Promise<boolean> {
  try {
    if ((await state(db, plan.check)) !== plan.clean) return false;
    await sql.raw(plan.reset).execute(db);
    return true;
  } catch {
    return false;
  }
}
