import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { NOSNIFF } from '../errors.js';

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

/**
 * Every answer names its request (X-Request-Id) and is never sniffed for another type
 * (nosniff: a browser takes every answer as the type it says, so JSON stays data, never a
 * script or a page guessed from its content), whichever route or error sent it.
 * Registered without encapsulation: it is every answer's.
 */
export const answerIdentity = fastifyPlugin(
  (app: FastifyInstance, _options: unknown, done: (error?: Error) => void) => {
    app.decorateRequest('userId', null);
    // Callback-style, as every per-request hook here: no promise per request.
    app.addHook('onRequest', (request, reply, next) => {
      reply.header(REQUEST_ID_HEADER, request.id).header(NOSNIFF[0], NOSNIFF[1]);
      next();
    });
    done();
  },
  { name: 'trellis-answer-identity', fastify: '5.x' },
);
