import { createTRPCClient, type TRPCClient } from '@trpc/client';
import { trellisLinks } from './links.js';
import type { ClientOptions } from './options.js';
import type { AppRouter, RouterOutputs } from './router.js';

export type { FieldErrors, TrellisErrorData } from '@trellis/api';
export {
  CLIENT_ERROR_CODES,
  type ClientErrorCode,
  isTrellisError,
  TrellisError,
  type TrellisErrorCode,
} from './errors.js';
export { OPEN_WAIT_MS } from './hold-until-open.js';
export { HttpError } from './http-error.js';
export { type IdempotentCallOptions, withIdempotencyKey } from './idempotency.js';
export { MAX_BATCH_ITEMS, MAX_URL_LENGTH, trellisLinks } from './links.js';
export type { ClientOptions } from './options.js';
export type { RateLimitInfo } from './rate-limit.js';
export { MAX_QUERY_ATTEMPTS } from './retry.js';
export type { AppRouter, RouterInputs, RouterOutputs } from './router.js';
export { DEFAULT_TIMEOUT_MS } from './timeout.js';
export {
  type TrellisEvent,
  type TrellisEventType,
  type TrellisWebhookEvent,
  verifyWebhook,
  type WebhookBody,
  type WebhookHeaders,
} from './webhooks.js';

/** What a `tasks.onChange` subscriber receives: the event `id` (to resume from) and the
 * change itself in `data` (`type` and `task`). */
export type TaskChange =
  RouterOutputs['tasks']['onChange'] extends AsyncIterable<infer Event> ? Event : never;

/** What a `notifications.onNew` subscriber receives: the event `id` (to resume from) and, in
 * `data`, the new `notification` with the `unreadCount` it makes. */
export type NotificationEvent =
  RouterOutputs['notifications']['onNew'] extends AsyncIterable<infer Event> ? Event : never;

/** A typed Trellis client: every procedure with its input and output types. */
export type TrellisClient = TRPCClient<AppRouter>;

/**
 * Creates a typed client. Calls made in the same tick share one HTTP request (split by
 * count and URL length); queries that meet a network failure or a 502/503/504 are retried
 * with backoff, mutations never are; a query or mutation gets `timeoutMs` (30 s) in all;
 * every failure is a `TrellisError` with a `code`, the client's own (`NETWORK`,
 * `NOT_TRELLIS`, `TIMEOUT`) when no Trellis answer decided it; subscriptions
 * (`tasks.onChange`) stream over server-sent events, resuming from the last event received
 * when the connection drops; a call made after `subscribe()` is sent once that stream is
 * open (at most `OPEN_WAIT_MS`, 5 s, later), so it cannot miss its own change. Each call
 * takes `{ signal }` to abort it.
 */
export function createClient(options: ClientOptions): TrellisClient {
  return createTRPCClient<AppRouter>({ links: trellisLinks(options) });
}
