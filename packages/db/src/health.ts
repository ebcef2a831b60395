import { type Kysely, sql } from 'kysely';
import { dialectOf } from './dialect.js';

/** Resolves when the database answers a trivial query; rejects with the driver's error. */
export async function pingDatabase<DB>(db: Kysely<DB>): Promise<void> {
  await sql`select 1`.execute(db);
}

/**
 * Checks that the database accepts writes. On SQLite a read-only file (or directory) opens
 * fine and would only fail at the first write, so this takes the write lock and lets it go
 * without writing; PostgreSQL reports a role or database it cannot use at connect time,
 * which {@link pingDatabase} already sees.
 */
export async function checkWritable<DB>(db: Kysely<DB>): Promise<void> {
  if (dialectOf(db) !== 'sqlite') return;
  await db.connection().execute(async (connection) => {
    await sql`begin immediate`.execute(connection);
    await sql`rollback`.execute(connection);
  });
}
