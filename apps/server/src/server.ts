import type { ServerResponse } from 'node:http';
import { type AppRouter, appRouter, deleteExpiredIdempotencyKeys } from '@trellis/api';
import { deleteExpiredRateLimits, deleteExpiredSessions } from '@trellis/auth';
import type { Database, Kysely } from '@trellis/db';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type { ServerConfig } from './config.js';
import { serveDashboard } from './dashboard.js';
import { frameworkErrorOptions, registerErrorHandlers, sendError } from './errors.js';
import { configuredProviders, registerOAuthRoutes } from './oauth.js';
import { requestContexts } from './request-context.js';
import { restApiPlugin } from './rest/index.js';
import { type TrpcOptions, trpcPlugin } from './trpc-handler.js';

/** What the server is built from besides its configuration. */
export interface ServerDeps {
  /** An open, migrated database; closed when the server closes. */
  db: Kysely<Database>;
  /** The time source for expiry and rate limits; the system clock when omitted (tests move it). */
  clock?: () => Date;
}

/** Log levels at which Fastify's per-request lines are written. */
const REQUEST_LOG_LEVELS = new Set<string>(['trace', 'debug', 'info']);

function isEventStream(response: Response): boolean {
  return response.headers.get('content-type')?.startsWith('text/event-stream') === true;
}

/** How many calls a batched tRPC path (`a,b,c`) names, without splitting it. */
function callCount(path: string): number {
  let count = 1;
  for (let at = path.indexOf(','); at !== -1; at = path.indexOf(',', at + 1)) count += 1;
  return count;
}

/** Trusts the nearest `hops` proxies, as Fastify does for a number (its types omit it). */
function trustHops(hops: number) {
  return (_address: string, hop: number) => hop < hops;
}

/**
 * Builds the HTTP server without listening, so that tests can start it on port 0. Closing
 * it closes the database too.
 */
export function buildServer(config: ServerConfig, { db, clock }: ServerDeps): FastifyInstance {
  const now = clock ?? (() => new Date());
  const app = Fastify({
    logger: { level: config.logLevel },
    // Fastify's "incoming request" / "request completed" lines are at info: above it they
    // would be dropped anyway, so their per-response listeners are not installed at all.
    logController: new LogController({
      disableRequestLogging: !REQUEST_LOG_LEVELS.has(config.logLevel),
    }),
    // request.ip honours X-Forwarded-For only from the proxies TRUST_PROXY names.
    trustProxy:
      typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : config.trustProxy,
    bodyLimit: config.bodyLimitBytes,
    // Batched calls put every procedure path in one URL segment.
    routerOptions: { maxParamLength: 8192 },
    ...frameworkErrorOptions,
  });
  // Unmatched GETs outside the API's prefixes are the dashboard's (files, or its pages).
  registerErrorHandlers(app, serveDashboard(app, config.dashboardDir));

  // Expired sessions are deleted when presented; abandoned ones (and finished rate-limit
  // windows, and idempotency keys past their 24 hours) are swept here.
  const sweepSessions = () =>
    Promise.all([
      deleteExpiredSessions(db, { now: now() }),
      deleteExpiredRateLimits(db, now()),
      deleteExpiredIdempotencyKeys(db, now()),
    ]).catch((error: unknown) => app.log.error({ err: error }, 'session sweep failed'));
  const sweep = setInterval(sweepSessions, config.sessionSweepIntervalMs).unref();
  app.addHook('onClose', async () => {
    clearInterval(sweep);
    await db.destroy();
  });

  const contexts = requestContexts(config, { db, now });

  // Subscriptions (server-sent events) stay open until the client leaves, and the HTTP
  // server's close waits for every open response: closing cuts them, and their clients
  // reconnect with the last event id they received, losing nothing.
  const liveStreams = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const stream of liveStreams) stream.destroy();
  });

  app.get('/healthz', () => ({ status: 'ok' }));
  registerOAuthRoutes(app, {
    db,
    providers: configuredProviders(config),
    isSecure: contexts.isSecure,
    now,
  });

  const trpcOptions: TrpcOptions<AppRouter> = {
    router: appRouter,
    maxBatchSize: config.maxBatchSize,
    createContext: ({ req, res }) => contexts.create(req, res),
    onError: ({ error, path, req }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') {
        req.log.error({ err: error.cause ?? error, path }, 'procedure failed');
      }
    },
  };

  app.register(
    async (scope) => {
      // JSON only: a text/plain body is what a cross-site form can send without a CORS
      // preflight, so it is refused (415) rather than parsed.
      scope.removeContentTypeParser('text/plain');
      // API.md: a batch over the limit is PAYLOAD_TOO_LARGE. Checked before tRPC reads
      // the body (tRPC's own maxBatchSize stays as a backstop, answering 400).
      // Hooks here run on every call, so they are callback-style: no promise per request.
      scope.addHook('onRequest', (request, reply, done) => {
        const { path } = request.params as { path?: string };
        const query = request.query as { batch?: string };
        if (query.batch === '1' && path && callCount(path) > config.maxBatchSize) {
          // Answered here; not calling done() skips the route.
          sendError(reply, 413, `A batch may hold at most ${config.maxBatchSize} calls`);
          return;
        }
        done();
      });
      // Only tRPC's own adapter answers with a Fetch Response (subscriptions, and whatever
      // the lean handler leaves to it): an event stream is tracked for closing, and errors
      // raised before a procedure runs (bad batch, missing content type), which carry a
      // JSON body but a text/plain type, are relabelled: clients parse by type.
      scope.addHook('onSend', (_request, reply, payload, done) => {
        if (!(payload instanceof Response)) {
          done(null, payload);
          return;
        }
        if (isEventStream(payload)) {
          liveStreams.add(reply.raw);
          reply.raw.once('close', () => liveStreams.delete(reply.raw));
        }
        if (payload.headers.get('content-type')?.startsWith('text/plain')) {
          const headers = new Headers(payload.headers);
          headers.set('content-type', 'application/json');
          done(null, new Response(payload.body, { status: payload.status, headers }));
          return;
        }
        done(null, payload);
      });
      await scope.register(trpcPlugin<AppRouter>, {
        handler: config.trpcHandler,
        trpcOptions,
      });
    },
    { prefix: '/trpc' },
  );

  // The same procedures as REST under /api/v1, with the OpenAPI document and docs page.
  app.register(restApiPlugin, { prefix: '/api', router: appRouter, contexts });

  return app;
}
