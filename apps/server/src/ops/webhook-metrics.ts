import type { Registry } from 'prom-client';
import { Counter, Gauge } from 'prom-client';

// Webhook delivery as operators watch it: attempts by outcome (a rising `failed` is an
// endpoint in trouble), and how far behind each endpoint is (the age of the oldest log
// entry it has not been sent yet: a growing lag is a stuck or disabled endpoint).

/** Attempts this process has made, by outcome (kept by the delivery plugin). */
export class WebhookAttemptCounts {
  delivered = 0;
  failed = 0;

  /** Counts one attempt. */
  add(delivered: boolean): void {
    if (delivered) this.delivered += 1;
    else this.failed += 1;
  }
}

/** What the webhook metrics read at each scrape. */
export interface WebhookMetricsSource {
  attempts: WebhookAttemptCounts;
  /** Per enabled endpoint with something to send: the oldest unsent entry's time. */
  oldestUndelivered(): Promise<ReadonlyArray<{ id: string; createdAt: string }>>;
  now(): Date;
}

/** Registers `trellis_webhook_deliveries_total` and `trellis_webhook_lag_seconds`. */
export function registerWebhookMetrics(registry: Registry, source: WebhookMetricsSource): void {
  new Counter({
    name: 'trellis_webhook_deliveries_total',
    help: "Webhook delivery attempts by this process's delivery worker (not webhooks.test or webhooks.redeliver), by outcome (delivered: a 2xx answer; failed: anything else, retried)",
    labelNames: ['outcome'] as const,
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ outcome: 'delivered' }, source.attempts.delivered);
      this.inc({ outcome: 'failed' }, source.attempts.failed);
    },
  });
  new Gauge({
    name: 'trellis_webhook_lag_seconds',
    help: 'Per enabled webhook endpoint with events waiting: seconds since the oldest event it has not been sent was written (0 series when every endpoint is caught up)',
    labelNames: ['webhook'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const now = source.now().getTime();
      for (const { id, createdAt } of await source.oldestUndelivered()) {
        this.set({ webhook: id }, Math.max(0, (now - Date.parse(createdAt)) / 1000));
      }
    },
  });
}
