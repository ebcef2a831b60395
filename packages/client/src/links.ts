import { httpBatchLink, httpLink, splitLink, type TRPCLink } from '@trpc/client';
import { trellisErrorLink } from './errors.js';
import { etagCachingFetch } from './etag-cache.js';
import { holdUntilOpenLink } from './hold-until-open.js';
import { statusAwareFetch } from './http-error.js';
import { idempotencyKeyOf } from './idempotency.js';
import type { ClientOptions } from './options.js';
import { resumingSubscriptionLink } from './resume-ids.js';
import { trellisRetryLink } from './retry.js';
import type { AppRouter } from './router.js';
import { checkedTimeout, trellisTimeoutLink } from './timeout.js';

/** The server accepts at most this many calls in one batch (`MAX_BATCH_SIZE`, default 50). */
export const MAX_BATCH_ITEMS = 50;

/**
 * Longest URL a batch of queries may use; longer batches are split. 2083 characters is
 * the lowest limit common proxies and CDNs enforce, well under the server's own.
 */
export const MAX_URL_LENGTH = 2083;

/**
 * The links every Trellis client uses, outermost first: typed errors, the call's deadline,
 * query retries, then the transport (server-sent events for subscriptions, one request per
 * idempotent call, batches for the rest).
 */
export function trellisLinks(options: ClientOptions): TRPCLink<AppRouter>[] {
  const { token, headers, onUnauthorized } = options;
  const allHeaders = { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const url = `${options.url.replace(/\/+$/, '')}/trpc`;
  const send = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const fetch = statusAwareFetch(options.etagCache ? etagCachingFetch(send) : send);
  return [
    trellisErrorLink(onUnauthorized),
    trellisTimeoutLink(checkedTimeout(options.timeoutMs), url),
    trellisRetryLink(),
    // Calls made after subscribe() wait for its stream to open: none can precede its start.
    holdUntilOpenLink(),
    splitLink({
      condition: (op) => op.type === 'subscription',
      // A native EventSource cannot send headers; this one fetches through `send`, so the
      // bearer token rides along (and so does the browser's cookie, same-origin).
      // Each request also carries the newest event id received (resume-ids.ts).
      true: resumingSubscriptionLink({
        url,
        fetch: (input, init) =>
          send(input, { ...init, headers: { ...init.headers, ...allHeaders } }),
      }),
      false: splitLink({
        // The key is a header, so it must belong to exactly one call: no batching.
        condition: (op) => idempotencyKeyOf(op) !== undefined,
        true: httpLink({
          url,
          fetch,
          headers: ({ op }) => ({ ...allHeaders, 'idempotency-key': idempotencyKeyOf(op) ?? '' }),
        }),
        false: httpBatchLink({
          url,
          fetch,
          maxItems: MAX_BATCH_ITEMS,
          maxURLLength: MAX_URL_LENGTH,
          headers: () => allHeaders,
        }),
      }),
    }),
  ];
}
