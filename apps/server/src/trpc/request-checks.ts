import type { FastifyInstance } from 'fastify';
import { sendError } from '../errors.js';

// Requests refused before tRPC sees them. Hooks here run on every call, so they are
// callback-style: no promise per request.

/** What tRPC serves: queries (GET, and HEAD with them), mutations (POST); OPTIONS is CORS's. */
const SERVED_METHODS = new Set(['GET', 'HEAD', 'POST', 'OPTIONS']);

/**
 * Any other method (PUT, DELETE, PATCH, TRACE…) is 405 with `Allow: GET, POST`, before
 * anything reads its body: tRPC would answer by content type first (415 with none), and
 * its adapter builds a Fetch Request, whose constructor throws for TRACE (a 500).
 */
export function refuseUnservedMethods(scope: FastifyInstance): void {
  scope.addHook('onRequest', (request, reply, done) => {
    if (SERVED_METHODS.has(request.method)) {
      done();
      return;
    }
    sendError(reply.header('allow', 'GET, POST'), 405, `Unsupported ${request.method}-request`);
  });
}

/** How many calls a batched tRPC path (`a,b,c`) names, without splitting it. */
function callCount(path: string): number {
  let count = 1;
  for (let at = path.indexOf(','); at !== -1; at = path.indexOf(',', at + 1)) count += 1;
  return count;
}

/**
 * Refuses paths that would read differently to the checks before tRPC and to tRPC itself,
 * and batches over `maxBatchSize` calls (docs/api.md: PAYLOAD_TOO_LARGE, answered before the
 * body is read; tRPC's own maxBatchSize stays as a backstop, answering 400).
 */
export function refuseUnreadableCalls(scope: FastifyInstance, maxBatchSize: number): void {
  scope.addHook('onRequest', (request, reply, done) => {
    const { path } = request.params as { path?: string };
    // Fastify has decoded the path once and tRPC decodes it once more, so a path that
    // still holds a `%` (`tasks%252EonChange`) would name one thing to the checks that
    // read it here (the stream cap, the batch limit, metrics) and another to the
    // router. No procedure's name has one: refused, so everyone reads the same path.
    if (path?.includes('%')) {
      sendError(reply, 400, 'Malformed procedure path: it is percent-encoded twice');
      return;
    }
    const query = request.query as { batch?: string };
    if (query.batch === '1' && path && callCount(path) > maxBatchSize) {
      // Answered here; not calling done() skips the route.
      sendError(reply, 413, `A batch may hold at most ${maxBatchSize} calls`);
      return;
    }
    done();
  });
}
