/**
 * An opt-in ETag cache for programs outside a browser (`createClient({ etagCache: true })`):
 * a query's answer is kept with its ETag, the next identical request asks with
 * `If-None-Match`, and a 304 is answered from the kept body. The server decides freshness on
 * every request, so nothing stale is ever returned; what is saved is the body's transfer and
 * parsing on the server's side. Browsers have their own HTTP cache and do this already.
 */

/** Answers kept at most (least recently used dropped first). */
export const ETAG_CACHE_ENTRIES = 200;

interface Kept {
  etag: string;
  body: string;
  headers: [string, string][];
}

/** Wraps `send` so that GET requests revalidate a kept answer instead of fetching it anew. */
export function etagCachingFetch(send: typeof fetch, entries = ETAG_CACHE_ENTRIES): typeof fetch {
  const kept = new Map<string, Kept>();
  return async (input, init) => {
    const method = (init?.method ?? 'GET').toUpperCase();
    if (method !== 'GET') return send(input, init);
    const headers = new Headers(init?.headers);
    // The same URL answered for other credentials is another answer.
    const key = `${String(input instanceof Request ? input.url : input)}\n${headers.get('authorization') ?? ''}`;
    const known = kept.get(key);
    if (known) headers.set('if-none-match', known.etag);
    const response = await send(input, { ...init, headers });
    if (response.status === 304 && known) {
      kept.delete(key);
      kept.set(key, known);
      return new Response(known.body, { status: 200, headers: known.headers });
    }
    const etag = response.headers.get('etag');
    if (response.status !== 200 || etag === null) {
      kept.delete(key);
      return response;
    }
    const body = await response.text();
    kept.delete(key);
    kept.set(key, { etag, body, headers: [...response.headers] });
    if (kept.size > entries) kept.delete(kept.keys().next().value as string);
    return new Response(body, { status: 200, headers: response.headers });
  };
}
