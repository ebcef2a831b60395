import type { Kysely } from 'kysely';

// Frozen in time, like every migration.
//
// The live streams open per user over every server process (MAX_STREAMS_PER_USER): one
// row per open stream, `owner_key` being whose slot it takes (`user:<id>`, or
// `address:<ip>`). The process holding the stream pushes `expires_at` forward while the
// stream stays open and deletes the row when it ends; the row of a process that died
// without closing its streams expires, and its slot is free again.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('stream_leases')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  // Counting one owner's live leases, when a stream asks for a slot.
  await db.schema
    .createIndex('stream_leases_owner_idx')
    .on('stream_leases')
    .columns(['owner_key', 'expires_at'])
    .execute();
  // Sweeping the expired leases of every owner.
  await db.schema
    .createIndex('stream_leases_expires_idx')
    .on('stream_leases')
    .column('expires_at')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('stream_leases').ifExists().execute();
}
