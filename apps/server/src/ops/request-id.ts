import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Header a proxy or client sets to correlate its logs with ours; echoed on every answer. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** Printable ASCII without spaces, at most 128 characters: safe in a log line and a header. */
const SANE_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * The request's id (Fastify's `genReqId`): the caller's `X-Request-Id` when it is sane,
 * otherwise a fresh UUID. Unique across processes, unlike Fastify's per-process counter.
 */
export function requestId(request: IncomingMessage): string {
  const given = request.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
}
