import {
  type Database,
  isForeignKeyViolation,
  isoNow,
  type Kysely,
  newId,
  type WebhookDeliveryTrigger,
} from '@trellis/db';
import { TRPCError } from '@trpc/server';
import type { WebhookEvent } from '../events.js';
import {
  insertDelivery,
  signingSecrets,
  type WebhookDeliveryView,
  type WebhookRow,
} from '../queries/webhooks.js';
import type { WebhookResponse, WebhookSettings } from './settings.js';
import { signedHeaders } from './signing.js';

// One attempt to send one event to one endpoint, written down whatever comes of it. The
// worker, `webhooks.redeliver` and `webhooks.test` all send through here, so every attempt
// is signed the same way, checked against the same URL rules and logged.

/** What one attempt sends and why. */
export interface Attempt {
  webhook: WebhookRow;
  event: WebhookEvent;
  /** The event's number in its workspace's log; null for a ping. */
  position: number | null;
  attempt: number;
  trigger: WebhookDeliveryTrigger;
}

/** What came of an attempt, and its delivery row. */
export interface AttemptResult extends WebhookResponse {
  deliveryId: string;
  delivered: boolean;
  /** The row written down, exactly as `webhooks.deliveries` lists it. */
  delivery: WebhookDeliveryView;
}

/** How much of an answer's body a delivery row keeps. */
export const MAX_EXCERPT_BYTES = 1024;

/**
 * `text` as a delivery row can hold it: without NUL characters (PostgreSQL's text refuses
 * them: the row's insert would fail after the event was delivered, and the worker would
 * send it again and again) and at most `maxBytes` of UTF-8, cut between characters.
 */
export function storableText(text: string, maxBytes = MAX_EXCERPT_BYTES): string {
  const clean = text.replaceAll('\u0000', '');
  const bytes = Buffer.from(clean, 'utf8');
  if (bytes.length <= maxBytes) return clean;
  // A streaming decode holds back a character cut in half at the limit.
  return new TextDecoder().decode(bytes.subarray(0, maxBytes), { stream: true });
}

/**
 * The endpoint was deleted while its request was out: there is nothing left to write the
 * attempt under. The procedures answer it as they answer any unknown webhook; the worker
 * drops the endpoint without an error (see {@link isWebhookGone}).
 */
class WebhookGoneError extends TRPCError {
  constructor() {
    super({ code: 'NOT_FOUND', message: 'Webhook not found: it was deleted while sending' });
  }
}

/** True when `error` is an attempt's endpoint having been deleted during the attempt. */
export function isWebhookGone(error: unknown): boolean {
  return error instanceof WebhookGoneError;
}

/** The body of a delivery: the event as JSON, `{id, type, timestamp, workspaceId, …}`. */
export function deliveryBody(event: WebhookEvent): string {
  return JSON.stringify(event);
}

/**
 * Sends `attempt.event` to its endpoint and writes the delivery row. The URL rules are the
 * sender's to apply as it connects (where a name points may have changed since it was
 * saved): a refused address comes back as a failed attempt, `refused: <why>`.
 */
export async function sendAttempt(
  db: Kysely<Database>,
  settings: WebhookSettings,
  attempt: Attempt,
  clock: () => Date,
): Promise<AttemptResult> {
  const started = clock();
  const { webhook, event } = attempt;
  const body = deliveryBody(event);
  const headers = signedHeaders(signingSecrets(webhook, started), event.id, started, body);
  const response = await settings.send({ url: webhook.url, headers, body });
  const delivered =
    response.statusCode !== null && response.statusCode >= 200 && response.statusCode < 300;
  const deliveryId = newId();
  const delivery = await insertDelivery(db, {
    id: deliveryId,
    webhook_id: webhook.id,
    event_id: event.id,
    event_type: event.type,
    position: attempt.position,
    attempt: attempt.attempt,
    trigger: attempt.trigger,
    outcome: delivered ? 'delivered' : 'failed',
    status_code: response.statusCode,
    latency_ms: Math.round(response.latencyMs),
    error: delivered ? null : storableText(response.error ?? `HTTP ${response.statusCode}`),
    response_excerpt:
      response.responseExcerpt === null ? null : storableText(response.responseExcerpt),
    created_at: isoNow(started),
  }).catch((error: unknown) => {
    throw isForeignKeyViolation(error) ? new WebhookGoneError() : error;
  });
  return { ...response, deliveryId, delivered, delivery };
}
