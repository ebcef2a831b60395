import {
  type Database,
  dialectOf,
  isoNow,
  type Kysely,
  type WebhookDeliveriesTable,
  type WebhooksTable,
} from '@trellis/db';
import { type Selectable, sql } from 'kysely';
import type { z } from 'zod';
import type { webhookDeliveryOutput, webhookOutput } from '../outputs.js';

/** A webhook endpoint as admins see it. */
export type WebhookView = z.output<typeof webhookOutput>;
/** One delivery attempt as admins see it. */
export type WebhookDeliveryView = z.output<typeof webhookDeliveryOutput>;
/** An endpoint's row, secrets and delivery state included (never sent to clients). */
export type WebhookRow = Selectable<WebhooksTable>;

/** The event types `row` receives; null = every type. */
export function eventTypesOf(row: Pick<WebhookRow, 'events'>): string[] | null {
  return row.events === null ? null : (JSON.parse(row.events) as string[]);
}

/** The view of an endpoint's row. */
export function webhookView(row: WebhookRow): WebhookView {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    url: row.url,
    description: row.description,
    events: eventTypesOf(row),
    enabled: Number(row.enabled) === 1,
    disabledReason: row.disabled_reason,
    failingSince: row.failing_since,
    failedAttempts: Number(row.attempts),
    nextAttemptAt: row.failing_since === null ? null : row.next_attempt_at,
    previousSecretExpiresAt: row.previous_secret_expires_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** What a new endpoint is made of. */
export interface NewWebhook {
  id: string;
  workspaceId: string;
  url: string;
  description: string;
  events: readonly string[] | null;
  secret: string;
  createdBy: string;
  at: string;
}

/**
 * Adds an endpoint that receives what the workspace's log gets from now on: its cursor
 * starts at the newest entry (read in the same statement).
 */
export async function insertWebhook(db: Kysely<Database>, webhook: NewWebhook): Promise<void> {
  await db
    .insertInto('webhooks')
    .columns([
      'id',
      'workspace_id',
      'url',
      'description',
      'events',
      'secret',
      'cursor',
      'created_by',
      'created_at',
      'updated_at',
    ])
    .expression((eb) =>
      eb
        .selectFrom('workspaces')
        .select((s) => [
          s.val(webhook.id).as('id'),
          'workspaces.id as workspace_id',
          s.val(webhook.url).as('url'),
          s.val(webhook.description).as('description'),
          s.val(webhook.events === null ? null : JSON.stringify(webhook.events)).as('events'),
          s.val(webhook.secret).as('secret'),
          'workspaces.activity_seq as cursor',
          s.val(webhook.createdBy).as('created_by'),
          s.val(webhook.at).as('created_at'),
          s.val(webhook.at).as('updated_at'),
        ])
        .where('workspaces.id', '=', webhook.workspaceId),
    )
    .execute();
}

/** A workspace's endpoints, oldest first. */
export function listWebhooks(db: Kysely<Database>, workspaceId: string): Promise<WebhookRow[]> {
  return db
    .selectFrom('webhooks')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** How many endpoints a workspace has. */
export async function countWebhooks(db: Kysely<Database>, workspaceId: string): Promise<number> {
  const row = await db
    .selectFrom('webhooks')
    .select((eb) => eb.fn.countAll<number | string | bigint>().as('count'))
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  return Number(row?.count ?? 0);
}

/** One endpoint of a workspace, or undefined. */
export function findWebhook(
  db: Kysely<Database>,
  workspaceId: string,
  webhookId: string,
): Promise<WebhookRow | undefined> {
  return db
    .selectFrom('webhooks')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', webhookId)
    .executeTakeFirst();
}

/** Changes an endpoint of a workspace; false when it has none such. */
export async function updateWebhook(
  db: Kysely<Database>,
  workspaceId: string,
  webhookId: string,
  patch: Partial<
    Pick<
      WebhookRow,
      | 'url'
      | 'events'
      | 'enabled'
      | 'disabled_reason'
      | 'secret'
      | 'previous_secret'
      | 'previous_secret_expires_at'
      | 'cursor'
      | 'attempts'
      | 'next_attempt_at'
      | 'failing_since'
      | 'lease_owner'
      | 'lease_expires_at'
      | 'description'
      | 'updated_at'
    >
  >,
): Promise<boolean> {
  const result = await db
    .updateTable('webhooks')
    .set(patch)
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', webhookId)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Deletes an endpoint (and its deliveries); false when the workspace has none such. */
export async function deleteWebhook(
  db: Kysely<Database>,
  workspaceId: string,
  webhookId: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom('webhooks')
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', webhookId)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** The secrets that sign a delivery now: the current one, and the previous while valid. */
export function signingSecrets(row: WebhookRow, now: Date): string[] {
  const previousValid =
    row.previous_secret !== null &&
    row.previous_secret_expires_at !== null &&
    row.previous_secret_expires_at > isoNow(now);
  return previousValid && row.previous_secret ? [row.secret, row.previous_secret] : [row.secret];
}

/** One attempt, as it is written down. */
export type NewDelivery = Omit<Selectable<WebhookDeliveriesTable>, 'seq'>;

/** Writes down one attempt; answers it as `webhooks.deliveries` will list it. */
export async function insertDelivery(
  db: Kysely<Database>,
  delivery: NewDelivery,
): Promise<WebhookDeliveryView> {
  await db.insertInto('webhook_deliveries').values(delivery).execute();
  return deliveryView(delivery);
}

function deliveryView(row: NewDelivery): WebhookDeliveryView {
  return {
    id: row.id,
    webhookId: row.webhook_id,
    eventId: row.event_id,
    eventType: row.event_type,
    attempt: Number(row.attempt),
    trigger: row.trigger,
    outcome: row.outcome,
    statusCode: row.status_code === null ? null : Number(row.status_code),
    latencyMs: Number(row.latency_ms),
    error: row.error,
    responseExcerpt: row.response_excerpt,
    createdAt: row.created_at,
  };
}

/** A page of an endpoint's deliveries, newest first, before `before` (an internal seq). */
export async function listDeliveries(
  db: Kysely<Database>,
  webhookId: string,
  page: { before?: number | undefined; limit: number },
): Promise<{ items: WebhookDeliveryView[]; last: number | null }> {
  let select = db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', webhookId);
  if (page.before !== undefined) select = select.where('seq', '<', page.before);
  const rows = await select
    .orderBy('seq', 'desc')
    .limit(page.limit + 1)
    .execute();
  const shown = rows.slice(0, page.limit);
  const more = rows.length > page.limit;
  return {
    items: shown.map(deliveryView),
    last: more ? Number(shown.at(-1)?.seq) : null,
  };
}

/** One delivery of a workspace's endpoint (and the endpoint), or undefined. */
export function findDelivery(db: Kysely<Database>, workspaceId: string, deliveryId: string) {
  return db
    .selectFrom('webhook_deliveries')
    .innerJoin('webhooks', 'webhooks.id', 'webhook_deliveries.webhook_id')
    .select([
      'webhook_deliveries.webhook_id as webhookId',
      'webhook_deliveries.event_id as eventId',
      'webhook_deliveries.event_type as eventType',
      'webhook_deliveries.position',
    ])
    .where('webhooks.workspace_id', '=', workspaceId)
    .where('webhook_deliveries.id', '=', deliveryId)
    .executeTakeFirst();
}

/** The latest attempt number of an event at an endpoint (0 when never tried). */
export async function lastAttempt(
  db: Kysely<Database>,
  webhookId: string,
  eventId: string,
): Promise<number> {
  const row = await db
    .selectFrom('webhook_deliveries')
    .select((eb) => eb.fn.max('attempt').as('attempt'))
    .where('webhook_id', '=', webhookId)
    .where('event_id', '=', eventId)
    .executeTakeFirst();
  return Number(row?.attempt ?? 0);
}

// The delivery worker's claims. An endpoint is claimed whole (its events go out in order,
// one at a time); the lease expires so that a crashed process's endpoints are taken over.

/**
 * Claims up to `limit` endpoints that have something to send and are due (not waiting out
 * a retry delay, not leased by a live claim): they are held by `lease` (a name for this one
 * claim) until `until`. PostgreSQL skips rows another process is claiming at this moment;
 * SQLite has one writer anyway.
 */
export async function claimDueWebhooks(
  db: Kysely<Database>,
  claim: { lease: string; now: Date; until: Date; limit: number },
): Promise<WebhookRow[]> {
  const now = isoNow(claim.now);
  let due = db
    .selectFrom('webhooks')
    .innerJoin('workspaces', 'workspaces.id', 'webhooks.workspace_id')
    .select('webhooks.id')
    .where('webhooks.enabled', '=', 1)
    .whereRef('webhooks.cursor', '<', 'workspaces.activity_seq')
    .where((eb) =>
      eb.or([
        eb('webhooks.next_attempt_at', 'is', null),
        eb('webhooks.next_attempt_at', '<=', now),
      ]),
    )
    .where((eb) =>
      eb.or([
        eb('webhooks.lease_expires_at', 'is', null),
        eb('webhooks.lease_expires_at', '<=', now),
      ]),
    )
    // Never claimed, or released longest ago, first: endpoints take turns.
    .orderBy(sql`webhooks.lease_expires_at asc nulls first`)
    .limit(claim.limit);
  if (dialectOf(db) === 'postgres') due = due.forUpdate('webhooks').skipLocked();
  return db
    .updateTable('webhooks')
    .set({ lease_owner: claim.lease, lease_expires_at: isoNow(claim.until) })
    .where('id', 'in', due)
    .returningAll()
    .execute();
}

/**
 * Keeps the claim `lease` on an enabled endpoint until `until`: the endpoint as it is now,
 * or undefined when the claim was lost (dropped by an admin's change, taken over after it
 * expired) or the endpoint was disabled.
 */
export function renewLease(
  db: Kysely<Database>,
  webhookId: string,
  lease: string,
  until: Date,
): Promise<WebhookRow | undefined> {
  return db
    .updateTable('webhooks')
    .set({ lease_expires_at: isoNow(until) })
    .where('id', '=', webhookId)
    .where('lease_owner', '=', lease)
    .where('enabled', '=', 1)
    .returningAll()
    .executeTakeFirst();
}

/** What the worker writes back to an endpoint it holds: only while `lease` still holds it. */
export async function updateHeldWebhook(
  db: Kysely<Database>,
  webhookId: string,
  lease: string,
  patch: Partial<
    Pick<
      WebhookRow,
      | 'cursor'
      | 'attempts'
      | 'next_attempt_at'
      | 'failing_since'
      | 'enabled'
      | 'disabled_reason'
      | 'lease_owner'
      | 'lease_expires_at'
      | 'updated_at'
    >
  >,
): Promise<boolean> {
  const result = await db
    .updateTable('webhooks')
    .set(patch)
    .where('id', '=', webhookId)
    .where('lease_owner', '=', lease)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** The number of a workspace's newest log entry (0 before its first). */
export async function workspaceHead(db: Kysely<Database>, workspaceId: string): Promise<number> {
  const row = await db
    .selectFrom('workspaces')
    .select('activity_seq')
    .where('id', '=', workspaceId)
    .executeTakeFirst();
  return Number(row?.activity_seq ?? 0);
}

/**
 * For each enabled endpoint with events waiting: the time of the oldest entry after its
 * cursor (what the lag metric reports). Endpoints that only skip types they do not
 * receive count too, briefly, until the worker moves past them.
 */
export function oldestUndelivered(db: Kysely<Database>) {
  return db
    .selectFrom('webhooks')
    .innerJoin('activity', (join) =>
      join
        .onRef('activity.workspace_id', '=', 'webhooks.workspace_id')
        .on((eb) => eb('activity.workspace_seq', '=', eb(eb.ref('webhooks.cursor'), '+', 1))),
    )
    .select(['webhooks.id', 'activity.created_at as createdAt'])
    .where('webhooks.enabled', '=', 1)
    .execute();
}
