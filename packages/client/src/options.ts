import type { TrellisError } from './errors.js';

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
  /**
   * How long a query or mutation may take, retries included, before it fails with
   * `TIMEOUT` (its request aborted): 30 000 ms (`DEFAULT_TIMEOUT_MS`) unless given; `0`
   * turns it off. Subscriptions, long-lived by design, have none. A call's own `signal`
   * still aborts it sooner (an abort, not a timeout).
   */
  timeoutMs?: number;
  /**
   * Keep query answers and revalidate them with their ETag (`If-None-Match`): an unchanged
   * answer comes back as a bodiless 304. For programs outside a browser, whose HTTP cache
   * does this already. Off by default.
   */
  etagCache?: boolean;
  /**
   * Called once for each call the server refuses with `UNAUTHORIZED` (e.g. to send the
   * user to sign in); the call still rejects with that error.
   */
  onUnauthorized?: (error: TrellisError) => void;
}
