import { type Kysely, sql } from 'kysely';

// Frozen in time, like every migration.
// What a mutation sent with an `Idempotency-Key` header answered, so that a retry with
// the same key gets that answer instead of running again. `scope` is whose key it is (a
// user, or an API token); a key means nothing outside its scope. `input_hash` and `path`
// tell a true retry from the key's reuse for another request. A `pending` row is a claim
// taken while the mutation runs; `result` is its JSON answer once `done`.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('idempotency_keys')
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('input_hash', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'done')`))
    .addColumn('result', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['scope', 'key'])
    .execute();
  // For the sweep that deletes expired rows.
  await db.schema
    .createIndex('idempotency_keys_expires_idx')
    .on('idempotency_keys')
    .column('expires_at')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('idempotency_keys').ifExists().execute();
}
