import { type Database, dialectOf, isoNow, type Kysely, newId } from '@trellis/db';
import { sql } from 'kysely';

// Leases on live-stream slots, shared by every server process through the database, so
// that MAX_STREAMS_PER_USER holds for a user however many processes serve them. A lease
// lives while its process renews it; a process that died leaves leases that expire.

/** The first key of the per-owner advisory lock (PostgreSQL): keeps it apart from others. */
const STREAM_LOCK_CLASS = 0x74726c73; // 'trls'

/** How many leases one renewal or release statement names at most (bound parameters). */
const IDS_PER_STATEMENT = 500;

/** What a stream asks for: a slot of `ownerKey`'s, if fewer than `max` are taken. */
export interface StreamLeaseRequest {
  ownerKey: string;
  max: number;
  now: Date;
  /** How long the lease lasts unless renewed. */
  ttlMs: number;
}

/**
 * Takes a lease if `ownerKey` holds fewer than `max` unexpired ones: its id, or null at the
 * cap. The count and the insert are one transaction that owners' acquisitions take in
 * turns (SQLite: the writing transaction's lock; PostgreSQL: an advisory lock on the
 * owner), so two processes cannot both see room for the last slot. The owner's expired
 * leases are deleted on the way.
 */
export function acquireStreamLease(
  db: Kysely<Database>,
  request: StreamLeaseRequest,
): Promise<string | null> {
  const { ownerKey, max, now, ttlMs } = request;
  return db.transaction().execute(async (trx) => {
    if (dialectOf(trx) === 'postgres') {
      await sql`select pg_advisory_xact_lock(${sql.lit(STREAM_LOCK_CLASS)}, hashtext(${ownerKey}))`.execute(
        trx,
      );
    }
    const at = isoNow(now);
    await trx
      .deleteFrom('stream_leases')
      .where('owner_key', '=', ownerKey)
      .where('expires_at', '<=', at)
      .execute();
    const { held } = await trx
      .selectFrom('stream_leases')
      .select((eb) => eb.fn.countAll<number | string>().as('held'))
      .where('owner_key', '=', ownerKey)
      .executeTakeFirstOrThrow();
    if (Number(held) >= max) return null;
    const id = newId();
    const expiresAt = isoNow(new Date(now.getTime() + ttlMs));
    await trx
      .insertInto('stream_leases')
      .values({ id, owner_key: ownerKey, created_at: at, expires_at: expiresAt })
      .execute();
    return id;
  });
}

/** Runs `statement` over `ids` in chunks small enough for any dialect's parameter limit. */
async function inChunks(ids: readonly string[], statement: (chunk: string[]) => Promise<unknown>) {
  for (let start = 0; start < ids.length; start += IDS_PER_STATEMENT) {
    await statement(ids.slice(start, start + IDS_PER_STATEMENT));
  }
}

/** Moves the expiry of the leases `ids` (those still there) to `expiresAt`. */
export async function renewStreamLeases(
  db: Kysely<Database>,
  ids: readonly string[],
  expiresAt: Date,
): Promise<void> {
  await inChunks(ids, (chunk) =>
    db
      .updateTable('stream_leases')
      .set({ expires_at: isoNow(expiresAt) })
      .where('id', 'in', chunk)
      .execute(),
  );
}

/** Gives the slots of the leases `ids` back. */
export async function releaseStreamLeases(
  db: Kysely<Database>,
  ids: readonly string[],
): Promise<void> {
  await inChunks(ids, (chunk) => db.deleteFrom('stream_leases').where('id', 'in', chunk).execute());
}

/** Deletes every owner's leases expired at `now` (those of processes that died). */
export async function deleteExpiredStreamLeases(db: Kysely<Database>, now: Date): Promise<void> {
  await db.deleteFrom('stream_leases').where('expires_at', '<=', isoNow(now)).execute();
}
