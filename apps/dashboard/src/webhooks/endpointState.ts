import type { RouterOutputs } from '@trellis/client';

/** An endpoint as webhooks.list returns it. */
export type Webhook = RouterOutputs['webhooks']['list'][number];

/** What an admin most needs to know about an endpoint, most urgent first. */
export type EndpointState =
  /** Retries ran out and the server turned it off: `reason` says why. */
  | { kind: 'disabled-by-server'; reason: string }
  /** An admin turned it off. */
  | { kind: 'disabled' }
  /** An event keeps failing; the worker is still retrying it. */
  | { kind: 'failing'; since: string; attempts: number; nextAttemptAt: string | null }
  | { kind: 'ok' };

export function endpointState(webhook: Webhook): EndpointState {
  if (!webhook.enabled) {
    return webhook.disabledReason === null
      ? { kind: 'disabled' }
      : { kind: 'disabled-by-server', reason: webhook.disabledReason };
  }
  if (webhook.failingSince !== null) {
    return {
      kind: 'failing',
      since: webhook.failingSince,
      attempts: webhook.failedAttempts,
      nextAttemptAt: webhook.nextAttemptAt,
    };
  }
  return { kind: 'ok' };
}

/** "1 failed attempt" / "3 failed attempts". */
export function attemptsText(attempts: number): string {
  return attempts === 1 ? '1 failed attempt' : `${attempts} failed attempts`;
}

/** True while the secret before the last rotation still signs, at `now`. */
export function previousSecretValid(webhook: Webhook, now: Date): boolean {
  const until = webhook.previousSecretExpiresAt;
  return until !== null && new Date(until).getTime() > now.getTime();
}

/** What an edit changes, as webhooks.update's optional fields; null when nothing does.
 * Only what changed is sent: a URL sent again would be checked (and resolved) again. */
export function webhookPatch<Type extends string>(
  before: Pick<Webhook, 'url' | 'description' | 'events'>,
  after: { url: string; description: string; events: readonly Type[] | null },
): WebhookPatch<Type> | null {
  const patch: WebhookPatch<Type> = {};
  if (after.url.trim() !== before.url) patch.url = after.url.trim();
  if (after.description.trim() !== before.description) patch.description = after.description.trim();
  if (!sameTypes(before.events, after.events)) patch.events = after.events && [...after.events];
  return Object.keys(patch).length === 0 ? null : patch;
}

/** The changed fields of an edit. */
export interface WebhookPatch<Type extends string> {
  url?: string;
  description?: string;
  events?: Type[] | null;
}

function sameTypes(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((type) => b.includes(type));
}
