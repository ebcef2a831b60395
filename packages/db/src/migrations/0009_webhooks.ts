import { type Kysely, sql } from 'kysely';
import { dialectOf } from '../dialect.js';

// Frozen in time, like every migration.
//
// Webhooks are delivered from the activity log (a transactional outbox): each endpoint
// keeps the number of the last workspace entry it has dealt with (`cursor`, a
// `workspace_seq`), and the delivery worker sends what comes after it, in order. Nothing
// is queued per event, so nothing written to the log can be missed.
//
// `secret` signs deliveries (Standard Webhooks `whsec_…`); after a rotation the previous
// one also signs until `previous_secret_expires_at`. The worker claims an endpoint by
// setting `lease_owner` / `lease_expires_at`; a crashed process's lease expires and another
// takes over. While an event fails, `attempts` counts its tries, `next_attempt_at` is when
// the next is due and `failing_since` when the first failed (past the retry window the
// endpoint is disabled: `disabled_reason`).

export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = dialectOf(db) === 'postgres';
  const bigint = postgres ? 'bigint' : 'integer';
  await db.schema
    .createTable('webhooks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) =>
      c.notNull().references('workspaces.id').onDelete('cascade'),
    )
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    // JSON array of event types; null = every type.
    .addColumn('events', 'text')
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('disabled_reason', 'text')
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('previous_secret', 'text')
    .addColumn('previous_secret_expires_at', 'text')
    .addColumn('cursor', bigint, (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text')
    .addColumn('failing_since', 'text')
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('webhooks_workspace_idx')
    .on('webhooks')
    .columns(['workspace_id', 'created_at'])
    .execute();

  // One row per attempt to send an event (or a ping) to an endpoint.
  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('seq', postgres ? 'bigserial' : 'integer', (c) =>
      postgres ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('webhook_id', 'text', (c) =>
      c.notNull().references('webhooks.id').onDelete('cascade'),
    )
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    // The event's number in the workspace's log; null for a ping.
    .addColumn('position', bigint)
    .addColumn('attempt', 'integer', (c) => c.notNull())
    // `event` (the worker), `redelivery`, `ping`.
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull().check(sql`outcome in ('delivered', 'failed')`))
    .addColumn('status_code', 'integer')
    .addColumn('latency_ms', 'integer', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('response_excerpt', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('webhook_deliveries_webhook_idx')
    .on('webhook_deliveries')
    .columns(['webhook_id', 'seq'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('webhook_deliveries').ifExists().execute();
  await db.schema.dropTable('webhooks').ifExists().execute();
}
