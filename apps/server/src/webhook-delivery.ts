import { startWebhookWorker } from '@trellis/api';
import type { Database, Kysely } from '@trellis/db';
import type { FastifyInstance } from 'fastify';
import type { WebhookAttemptCounts } from './ops/webhook-metrics.js';
import type { ServerWebhookSettings } from './webhooks/settings.js';

/** What the delivery worker runs on. */
export interface WebhookDeliveryOptions {
  db: Kysely<Database>;
  now(): Date;
  settings: ServerWebhookSettings;
  /** Counted for `/metrics`. */
  attempts: WebhookAttemptCounts;
  /** WEBHOOK_TIMEOUT_MS: one attempt's deadline (claims outlast it). */
  timeoutMs: number;
  /** WEBHOOK_CONCURRENCY: endpoints this process sends to at once. */
  concurrency: number;
}

/**
 * How long a claim on an endpoint lasts unrenewed. It is renewed before every attempt, so
 * it need only outlast one (its deadline, and the writes around it); it is also how long a
 * killed process's endpoints wait before another process takes them over.
 */
export function leaseFor(timeoutMs: number): number {
  return 2 * timeoutMs + 2000;
}

/**
 * The webhook delivery worker as a Fastify plugin: every server process runs one (they
 * share the work through leases in the database). Registered after housekeeping, so it
 * stops (waiting for the attempts in flight to be written down) before the database closes.
 */
export function webhookDelivery(
  app: FastifyInstance,
  { db, now, settings, attempts, timeoutMs, concurrency }: WebhookDeliveryOptions,
  done: (error?: Error) => void,
): void {
  const worker = startWebhookWorker({
    db,
    settings,
    clock: now,
    leaseMs: leaseFor(timeoutMs),
    concurrency,
    onAttempt: (result) => attempts.add(result.delivered),
    onError: (error) => app.log.error({ err: error }, 'webhook delivery failed; retrying'),
  });
  app.addHook('onClose', async () => {
    await worker.close();
    settings.close();
  });
  done();
}
