import type { FastifyRequest } from 'fastify';
import { headerValue } from './media.js';

/** Hosts remembered as valid at most; then the memory starts over. */
const MAX_KNOWN_HOSTS = 64;

/**
 * Whether tRPC's adapter could build its `new URL(...)` from a request's Host (it answers
 * 400 to the others): the handler leaves those requests to it. Hosts already seen valid are
 * remembered, since building a URL per request costs more than the rest of the check.
 */
export function hostChecker(): (request: FastifyRequest) => boolean {
  const known = new Set<string>();
  return (request) => {
    const host = request.headers.host ?? headerValue(request.headers[':authority']) ?? 'localhost';
    if (known.has(host)) return true;
    try {
      new URL(`http://${host}`);
    } catch {
      return false;
    }
    if (known.size >= MAX_KNOWN_HOSTS) known.clear();
    known.add(host);
    return true;
  };
}
