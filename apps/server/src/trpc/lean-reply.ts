import type { FastifyReply } from 'fastify';
import { queryValidators } from './etag.js';
import { JSON_TYPE, VARY } from './media.js';

/**
 * Sends a tRPC answer as tRPC's adapter would: JSON, with Vary, except that a query's 200
 * is validated by its ETag (etag.ts) and never shared between callers.
 */
export function sendJson(reply: FastifyReply, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  if (status === 200 && reply.request.method === 'GET') {
    const { headers, notModified } = queryValidators(reply.request, text);
    reply.headers(headers);
    if (notModified) {
      reply.code(304).send();
      return;
    }
  } else {
    reply.header('vary', VARY);
  }
  // A Buffer keeps Fastify from appending "; charset=utf-8" to the type, as tRPC's
  // Response does not have it either.
  reply.code(status).header('content-type', JSON_TYPE).send(Buffer.from(text));
}
