import {
  type AppRouter,
  appRouter,
  deleteExpiredIdempotencyKeys,
  procedureSchemas,
  StatsCache,
  startActivityFanOut,
} from '@trellis/api';
import {
  deleteExpiredEmailTokens,
  deleteExpiredRateLimits,
  deleteExpiredSessions,
  deleteExpiredTrustedDevices,
} from '@trellis/auth';
import { type Database, databasePoolStats, type Kysely } from '@trellis/db';
import Fastify, { type FastifyInstance } from 'fastify';
import type { ServerConfig } from './config.js';
import { serveDashboard } from './dashboard.js';
import { frameworkErrorOptions, NOSNIFF, registerErrorHandlers, sendError } from './errors.js';
import { configuredMailer } from './mail/index.js';
import { configuredProviders, registerOAuthRoutes } from './oauth.js';
import type { ClusterMetrics } from './ops/cluster-metrics.js';
import { registerHealthRoutes } from './ops/health.js';
import { lazyRequestLogger } from './ops/lazy-request-logger.js';
import { LiveStreams } from './ops/live-streams.js';
import {
  type LogStream,
  loggerOptions,
  REQUEST_LOG_LEVELS,
  requestLogController,
} from './ops/logging.js';
import { type DatabaseStats, registerMetrics } from './ops/metrics.js';
import { procedureLabeller } from './ops/procedure-label.js';
import { REQUEST_ID_HEADER, requestId } from './ops/request-id.js';
import { streamGate } from './ops/stream-limits.js';
import { requestContexts } from './request-context.js';
import { restApiPlugin } from './rest/index.js';
import { type TrpcOptions, trpcPlugin } from './trpc-handler.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who made the request, once it authenticated (set only when requests are logged). */
    userId: string | null;
  }
}

/** What the server is built from besides its configuration. */
export interface ServerDeps {
  /** An open, migrated database; closed when the server closes. */
  db: Kysely<Database>;
  /** The time source for expiry and rate limits; the system clock when omitted (tests move it). */
  clock?: () => Date;
  /** Where the JSON log lines go; stdout when omitted (tests capture them). */
  logStream?: LogStream;
  /** Set in each worker of several (WORKERS > 1): `/metrics` then shows them all. */
  clusterMetrics?: ClusterMetrics;
}

/** The route tRPC is served at (its procedures' paths are the `path` parameter). */
const TRPC_ROUTE = '/trpc/:path';

function isEventStream(response: Response): boolean {
  return response.headers.get('content-type')?.startsWith('text/event-stream') === true;
}

/** Procedures served as event streams: only their requests are watched for the stream cap. */
const SUBSCRIPTIONS = new Set(
  [...procedureSchemas(appRouter)]
    .filter(([, procedure]) => procedure.type === 'subscription')
    .map(([path]) => path),
);

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
export function buildServer(
  config: ServerConfig,
  { db, clock, logStream, clusterMetrics }: ServerDeps,
): FastifyInstance {
  const now = clock ?? (() => new Date());
  const labelsOf = procedureLabeller(
    TRPC_ROUTE,
    new Set(Object.keys(appRouter._def.procedures)),
    config.maxBatchSize,
  );
  const logsRequests = REQUEST_LOG_LEVELS.has(config.logLevel);
  const app = Fastify({
    logger: loggerOptions(config.logLevel, logStream),
    logController: requestLogController(config.logLevel, (request) => ({
      procedure: labelsOf(request).join(','),
      userId: request.userId,
    })),
    genReqId: requestId,
    childLoggerFactory: lazyRequestLogger,
    // request.ip honours X-Forwarded-For only from the proxies TRUST_PROXY names.
    trustProxy:
      typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : config.trustProxy,
    bodyLimit: config.bodyLimitBytes,
    // Slow clients (headers or a body dribbled a byte at a time) are cut off with 408, so
    // they cannot hold connections and memory for long. Node checks these deadlines every
    // `connectionsCheckingInterval` (30 s by default): checked every second instead.
    requestTimeout: config.requestTimeoutMs,
    http: {
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, config.headersTimeoutMs),
    },
    // Batched calls put every procedure path in one URL segment.
    routerOptions: { maxParamLength: 8192 },
    // While shutting down, a request that arrives on an open keep-alive connection is
    // served (with `Connection: close`) rather than refused with a bare 503: it raced the
    // shutdown like an in-flight one. New connections are refused; /readyz says 503.
    return503OnClosing: false,
    ...frameworkErrorOptions,
  });
  // Unmatched GETs outside the API's prefixes are the dashboard's (files, or its pages).
  registerErrorHandlers(
    app,
    serveDashboard(app, config.dashboardDir, { production: config.nodeEnv === 'production' }),
  );

  app.decorateRequest('userId', null);
  // Callback-style, as every per-request hook here: no promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    // nosniff: a browser takes every answer as the type it says (JSON stays data, never a
    // script or a page it guessed from the content), whichever route or error sent it.
    reply.header(REQUEST_ID_HEADER, request.id).header(NOSNIFF[0], NOSNIFF[1]);
    done();
  });
  let databaseOpen = true;
  // stats.overview answers, kept while the workspace's data version says they hold.
  const statsCache = new StatsCache();
  registerMetrics(app, {
    caches: { stats: () => statsCache.counts() },
    token: config.metricsToken,
    labelsOf,
    cluster: clusterMetrics,
    // PostgreSQL: the pool's counts; SQLite: its one connection.
    databaseStats: (): DatabaseStats => {
      const pool = databasePoolStats(db);
      if (pool) return { open: pool.total, idle: pool.idle, waiting: pool.waiting };
      return { open: databaseOpen ? 1 : 0 };
    },
  });
  registerHealthRoutes(app, db);

  // Expired sessions are deleted when presented; abandoned ones (and finished rate-limit
  // windows, and idempotency keys past their 24 hours) are swept here.
  const sweepSessions = () =>
    Promise.all([
      deleteExpiredSessions(db, { now: now() }),
      deleteExpiredRateLimits(db, now()),
      deleteExpiredIdempotencyKeys(db, now()),
      deleteExpiredEmailTokens(db, now()),
      deleteExpiredTrustedDevices(db, now()),
    ]).catch((error: unknown) => app.log.error({ err: error }, 'session sweep failed'));
  const sweep = setInterval(sweepSessions, config.sessionSweepIntervalMs).unref();

  // Other processes' activity wakes this one's live streams at once (PostgreSQL LISTEN;
  // on SQLite the streams' 1 s re-read of the log is how it arrives).
  const activityFanOut = startActivityFanOut(db, config.databaseUrl, (error) =>
    app.log.warn({ err: error }, 'activity listener lost its connection; reconnecting'),
  );
  // SMTP_URL's mailer, the log's (development), or none (production without SMTP_URL).
  const mailer = configuredMailer(config, app.log);
  // One hook, in this order: nothing may still use the database when it is closed.
  app.addHook('onClose', async () => {
    clearInterval(sweep);
    // Mails already queued get their chance to go out; no more retries are waited for.
    await mailer?.close();
    await activityFanOut.close();
    databaseOpen = false;
    await db.destroy();
  });

  const contexts = requestContexts(config, {
    db,
    now,
    statsCache,
    mailer,
    // Only the request log line needs to know who called.
    onUser: logsRequests
      ? (request, userId) => {
          request.userId = userId;
        }
      : undefined,
  });

  // Subscriptions end with a retry hint when the server closes (ops/live-streams.ts).
  const liveStreams = new LiveStreams();
  // At most MAX_STREAMS_PER_USER open streams per user (ops/stream-limits.ts).
  const streams = streamGate(config.maxStreamsPerUser);
  app.addHook('preClose', async () => {
    liveStreams.endAll();
  });

  registerOAuthRoutes(app, {
    db,
    providers: configuredProviders(config),
    isSecure: contexts.isSecure,
    now,
  });

  const trpcOptions: TrpcOptions<AppRouter> = {
    router: appRouter,
    maxBatchSize: config.maxBatchSize,
    createContext: ({ req, res }) => {
      const ctx = contexts.create(req, res);
      const { path } = req.params as { path?: string };
      if (path !== undefined && SUBSCRIPTIONS.has(path)) streams.watch(req, ctx);
      return ctx;
    },
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
        // Fastify has decoded the path once and tRPC decodes it once more, so a path that
        // still holds a `%` (`tasks%252EonChange`) would name one thing to the checks that
        // read it here (the stream cap, the batch limit, metrics) and another to the
        // router. No procedure's name has one: refused, so everyone reads the same path.
        if (path?.includes('%')) {
          sendError(reply, 400, 'Malformed procedure path: it is percent-encoded twice');
          return;
        }
        const query = request.query as { batch?: string };
        if (query.batch === '1' && path && callCount(path) > config.maxBatchSize) {
          // Answered here; not calling done() skips the route.
          sendError(reply, 413, `A batch may hold at most ${config.maxBatchSize} calls`);
          return;
        }
        done();
      });
      // Only tRPC's own adapter answers with a Fetch Response (subscriptions, and whatever
      // the lean handler leaves to it): an event stream is admitted under its user's stream
      // cap (or replaced by a 429) and tracked for closing, and errors
      // raised before a procedure runs (bad batch, missing content type), which carry a
      // JSON body but a text/plain type, are relabelled: clients parse by type.
      scope.addHook('onSend', (request, _reply, payload, done) => {
        if (!(payload instanceof Response)) {
          done(null, payload);
          return;
        }
        if (isEventStream(payload)) {
          const release = streams.acquire(request);
          if (release === null) {
            // Over the user's cap: the stream is cancelled before it starts.
            payload.body?.cancel().catch(() => undefined);
            done(null, streams.refusal());
          } else {
            done(null, liveStreams.track(payload, release));
          }
          return;
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
