import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

/**
 * Validators for query answers (GET): a strong ETag over the serialized answer *and* the
 * credentials it was computed for, so that two users (or two sessions) never share one, even
 * for equal bodies; `If-None-Match` with it gets 304 and no body. The browser keeps the
 * answer (`private`) and asks again every time (`no-cache`): nothing is served stale.
 */
export const QUERY_CACHE_CONTROL = 'private, no-cache';

/** Query answers differ by caller too: a cache must key them by the credentials. */
export const QUERY_VARY = 'trpc-accept, accept, authorization, cookie';

/** The credentials a query was answered for: its bearer token or cookie header. */
function credentialsOf(request: FastifyRequest): string {
  return `${request.headers.authorization ?? ''}\n${request.headers.cookie ?? ''}`;
}

/** The strong ETag of `body` as answered to `request`'s caller. */
export function etagOf(request: FastifyRequest, body: string): string {
  const hash = createHash('sha256').update(credentialsOf(request)).update('\n').update(body);
  return `"${hash.digest('base64url').slice(0, 32)}"`;
}

/** Whether `If-None-Match` names `etag` (or `*`); weak tags compare by their opaque part. */
export function ifNoneMatch(request: FastifyRequest, etag: string): boolean {
  const header = request.headers['if-none-match'];
  if (header === undefined || header === '') return false;
  for (const raw of header.split(',')) {
    const tag = raw.trim();
    if (tag === '*' || tag === etag || tag === `W/${etag}`) return true;
  }
  return false;
}

/**
 * The validators of a 200 query answer with body `text`: the headers to set, and whether the
 * client's copy is current (answer 304 without a body).
 */
export function queryValidators(
  request: FastifyRequest,
  text: string,
): { headers: Record<string, string>; notModified: boolean } {
  const etag = etagOf(request, text);
  return {
    headers: { etag, 'cache-control': QUERY_CACHE_CONTROL, vary: QUERY_VARY },
    notModified: ifNoneMatch(request, etag),
  };
}
