import { type Database, dialectOf, type Kysely } from '@trellis/db';
import { sql } from 'kysely';

/** The first key of the per-user advisory lock: keeps it apart from other locks. */
const USER_LOCK_CLASS = 0x74726c75; // 'trlu'

/**
 * Runs `work` in a transaction (the caller's, when `db` is one) that holds the user's
 * credential lock: writes that keep a per-user bound (sessions, trusted devices) count
 * and trim under it, so two sign-ins at once cannot both see room for one more.
 * SQLite write transactions are already serial (they begin IMMEDIATE); PostgreSQL takes
 * a transaction-scoped advisory lock on the user.
 */
export async function withUserLock<T>(
  db: Kysely<Database>,
  userId: string,
  work: (trx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  if (!db.isTransaction) return db.transaction().execute((trx) => withUserLock(trx, userId, work));
  if (dialectOf(db) === 'postgres') {
    await sql`select pg_advisory_xact_lock(${sql.lit(USER_LOCK_CLASS)}, hashtext(${userId}))`.execute(
      db,
    );
  }
  return work(db);
}
