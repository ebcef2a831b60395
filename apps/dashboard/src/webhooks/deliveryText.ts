import type { RouterOutputs } from '@trellis/client';

/** One attempt to send an event, as webhooks.deliveries lists it. */
export type Delivery = RouterOutputs['webhooks']['deliveries']['items'][number];

const TRIGGERS: Record<Delivery['trigger'], string> = {
  event: 'sent',
  redelivery: 'redelivered',
  ping: 'test',
};

/** Who sent it: the worker ("sent"), an admin's redelivery, or a test. */
export function triggerText(trigger: Delivery['trigger']): string {
  return TRIGGERS[trigger];
}

/** The endpoint's answer: "HTTP 204", or "no answer" when none came. */
export function statusText(statusCode: number | null): string {
  return statusCode === null ? 'no answer' : `HTTP ${statusCode}`;
}

/** "85 ms", "1.2 s", "10 s". */
export function latencyText(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  return seconds < 10 ? `${seconds.toFixed(1)} s` : `${Math.round(seconds)} s`;
}

/** A delivery in a sentence: "delivered (HTTP 204, 12 ms)", "failed (HTTP 500, 30 ms)",
 * "failed (no answer, 10 s): timed out". */
export function deliverySummary(delivery: Delivery): string {
  const status = statusText(delivery.statusCode);
  const facts = `${status}, ${latencyText(delivery.latencyMs)}`;
  // A refusal's error is its status ("HTTP 500"), already said.
  const error = delivery.error && delivery.error !== status ? `: ${delivery.error}` : '';
  return `${delivery.outcome} (${facts})${error}`;
}
