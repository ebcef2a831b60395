import type { FastifyRequest } from 'fastify';

/** The type of tRPC's JSON answers and bodies. */
export const JSON_TYPE = 'application/json';

/** The Vary header every tRPC answer carries. */
export const VARY = 'trpc-accept, accept';

/** `type` (no parameters, lower case) of a Content-Type header, as tRPC compares it. */
export function mediaType(header: string): string {
  const semicolon = header.indexOf(';');
  return (semicolon === -1 ? header : header.slice(0, semicolon)).trim().toLowerCase();
}

/** A header as Fetch's Headers gives it: repeated values joined. */
export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The JSON-lines streaming answer tRPC's `httpBatchStreamLink` asks for, as tRPC detects it. */
export function wantsJsonLines(request: FastifyRequest): boolean {
  const trpcAccept = headerValue(request.headers['trpc-accept']);
  if (trpcAccept !== undefined) return trpcAccept === 'application/jsonl';
  const accept = request.headers.accept;
  return accept?.split(',').some((type) => type.trim() === 'application/jsonl') === true;
}
