import type { AppRouter, RouterOutputs } from '@trellis/api';
import {
  createTRPCClient,
  httpBatchLink,
  httpSubscriptionLink,
  splitLink,
  type TRPCClient,
  TRPCClientError,
} from '@trpc/client';
import { EventSource } from 'eventsource';

export type { AppRouter, RouterInputs, RouterOutputs, TrellisErrorData } from '@trellis/api';

/** The server accepts at most this many calls in one batch; the client stays within it. */
export const MAX_BATCH_ITEMS = 50;

/** How to reach a Trellis server. */
export interface ClientOptions {
  /** The server's base URL, e.g. `http://localhost:3000`. */
  url: string;
  /** A session or API token, sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Extra headers for every request. */
  headers?: Record<string, string>;
  /** A fetch implementation (defaults to the global one). */
  fetch?: typeof fetch;
}

/** What a `tasks.onChange` subscriber receives: the event `id` (to resume from) and the
 * change itself in `data` (`type` and `task`). */
export type TaskChange =
  RouterOutputs['tasks']['onChange'] extends AsyncIterable<infer Event> ? Event : never;

/** A typed Trellis client: every procedure with its input and output types. */
export type TrellisClient = TRPCClient<AppRouter>;

/**
 * Creates a typed client; calls made in the same tick share one HTTP request, and
 * subscriptions (`tasks.onChange`) stream over server-sent events, resuming from the last
 * event received when the connection drops.
 */
export function createClient({ url, token, headers, fetch }: ClientOptions): TrellisClient {
  const allHeaders = { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const endpoint = `${url.replace(/\/+$/, '')}/trpc`;
  const send = fetch ?? globalThis.fetch;
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        // A native EventSource cannot send headers; this one fetches through `send`, so the
        // bearer token rides along (and so does the browser's cookie, same-origin).
        true: httpSubscriptionLink({
          url: endpoint,
          EventSource,
          eventSourceOptions: {
            fetch: (input, init) =>
              send(input, { ...init, headers: { ...init.headers, ...allHeaders } }),
          },
        }),
        false: httpBatchLink({
          url: endpoint,
          maxItems: MAX_BATCH_ITEMS,
          headers: () => allHeaders,
          ...(fetch ? { fetch } : {}),
        }),
      }),
    ],
  });
}

/** An error answered by a Trellis server: `e.data.code`, `e.data.fieldErrors`, `e.message`. */
export type TrellisError = TRPCClientError<AppRouter>;

/** True when `error` came from a Trellis server (or the network on the way to it). */
export function isTrellisError(error: unknown): error is TrellisError {
  return error instanceof TRPCClientError;
}
