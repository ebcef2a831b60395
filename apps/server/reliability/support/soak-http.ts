// Every HTTP exchange the soak's clients make, counted below the client: @trellis/client
// retries a query after a network failure or a 502/503/504, which would hide exactly what
// the soak must see, so the status of each response (and each failed fetch) is recorded
// here, before any retry.

/** What the soak's clients saw on the wire. */
export interface WireLog {
  /** A fetch for @trellis/client's `fetch` option that records every exchange. */
  fetch: typeof fetch;
  /** Responses by HTTP status, e.g. `{ 200: 5000, 409: 12 }`. */
  statuses: Map<number, number>;
  /** Fetches that got no response at all (reset, refused), with their error. */
  networkErrors: string[];
  /** Live-update (SSE) connections opened: more than the subscriptions means one dropped. */
  streamsOpened: () => number;
}

/** A WireLog over the global fetch. */
export function wireLog(): WireLog {
  const statuses = new Map<number, number>();
  const networkErrors: string[] = [];
  let streams = 0;
  const counting: typeof fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url.includes('/trpc/tasks.onChange')) streams += 1;
    try {
      const response = await globalThis.fetch(input, init);
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      return response;
    } catch (error) {
      // A subscription closed by the test aborts its fetch: that is not a failure.
      if (!init?.signal?.aborted) networkErrors.push(`${url.split('?')[0]}: ${String(error)}`);
      throw error;
    }
  };
  return { fetch: counting, statuses, networkErrors, streamsOpened: () => streams };
}
