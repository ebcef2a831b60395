import {
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
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { ServerConfig } from './config.js';
import { serveDashboard } from './dashboard.js';
import { frameworkErrorOptions, NOSNIFF, registerErrorHandlers } from './errors.js';
import { configuredMailer } from './mail/index.js';
import type { ServerMailer } from './mail/smtp-mailer.js';
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
import { trpcTransport } from './trpc/index.js';

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

/** The route tRPC serves each call at (trpc/: its procedures' paths are `path`). */
const TRPC_ROUTE = '/trpc/:path';

/** Every procedure's path, for metric labels (anything else counts as unknown). */
const PROCEDURES: ReadonlySet<string> = new Set(procedureSchemas(appRouter).keys());

/**
 * Builds the HTTP server without listening, so that tests can start it on port 0. Closing
 * it closes the database too.
 */
export function buildServer(
  config: ServerConfig,
  { db, clock, logStream, clusterMetrics }: ServerDeps,
): FastifyInstance {
  const now = clock ?? (() => new Date());
  const labelsOf = procedureLabeller(TRPC_ROUTE, PROCEDURES, config.maxBatchSize);
  const app = Fastify(fastifyOptions(config, labelsOf, logStream));
  // stats.overview answers, kept while the workspace's data version says they hold.
  const statsCache = new StatsCache();
  // SMTP_URL's mailer, the log's (development), or none (production without SMTP_URL).
  const mailer = configuredMailer(config, app.log);
  const database = keepHouse(app, config, { db, now, mailer });
  const contexts = requestContexts(config, {
    db,
    now,
    statsCache,
    mailer,
    // Only the request log line needs to know who called.
    onUser: REQUEST_LOG_LEVELS.has(config.logLevel)
      ? (request, userId) => {
          request.userId = userId;
        }
      : undefined,
  });
  const liveStreams = new LiveStreams();

  // The server's parts; hooks run in this order.
  // Unmatched GETs outside the API's prefixes are the dashboard's (files, or its pages).
  registerErrorHandlers(
    app,
    serveDashboard(app, config.dashboardDir, { production: config.nodeEnv === 'production' }),
  );
  identifyAnswers(app);
  registerMetrics(app, {
    caches: { stats: () => statsCache.counts() },
    token: config.metricsToken,
    labelsOf,
    cluster: clusterMetrics,
    databaseStats: database.stats,
  });
  registerHealthRoutes(app, db);
  // Subscriptions end with a retry hint when the server closes (ops/live-streams.ts), once
  // /readyz says it is shutting down.
  app.addHook('preClose', async () => {
    liveStreams.endAll();
  });
  registerOAuthRoutes(app, {
    db,
    providers: configuredProviders(config),
    isSecure: contexts.isSecure,
    now,
  });
  app.register(trpcTransport, {
    prefix: '/trpc',
    router: appRouter,
    handler: config.trpcHandler,
    maxBatchSize: config.maxBatchSize,
    createContext: (request, reply) => contexts.create(request, reply),
    // At most MAX_STREAMS_PER_USER open streams per user (ops/stream-limits.ts).
    streams: streamGate(config.maxStreamsPerUser),
    liveStreams,
  });
  // The same procedures as REST under /api/v1, with the OpenAPI document and docs page.
  app.register(restApiPlugin, { prefix: '/api', router: appRouter, contexts });
  return app;
}

/** Trusts the nearest `hops` proxies, as Fastify does for a number (its types omit it). */
function trustHops(hops: number) {
  return (_address: string, hop: number) => hop < hops;
}

/** Fastify's own options: logging, proxies, limits and deadlines from the configuration. */
function fastifyOptions(
  config: ServerConfig,
  labelsOf: (request: FastifyRequest) => string[],
  logStream: LogStream | undefined,
) {
  return {
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
  };
}

/** Every answer names its request (X-Request-Id) and is never sniffed for another type. */
function identifyAnswers(app: FastifyInstance): void {
  app.decorateRequest('userId', null);
  // Callback-style, as every per-request hook here: no promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    // nosniff: a browser takes every answer as the type it says (JSON stays data, never a
    // script or a page it guessed from the content), whichever route or error sent it.
    reply.header(REQUEST_ID_HEADER, request.id).header(NOSNIFF[0], NOSNIFF[1]);
    done();
  });
}

/**
 * The server's background work: sweeping expired rows, other processes' activity for the
 * live streams, and closing it all (then the database) in order when the server closes.
 */
function keepHouse(
  app: FastifyInstance,
  config: ServerConfig,
  { db, now, mailer }: { db: Kysely<Database>; now: () => Date; mailer: ServerMailer | undefined },
): { stats(): DatabaseStats } {
  let databaseOpen = true;
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
  // One hook, in this order: nothing may still use the database when it is closed.
  app.addHook('onClose', async () => {
    clearInterval(sweep);
    // Mails already queued get their chance to go out; no more retries are waited for.
    await mailer?.close();
    await activityFanOut.close();
    databaseOpen = false;
    await db.destroy();
  });
  return {
    // PostgreSQL: the pool's counts; SQLite: its one connection.
    stats: () => {
      const pool = databasePoolStats(db);
      if (pool) return { open: pool.total, idle: pool.idle, waiting: pool.waiting };
      return { open: databaseOpen ? 1 : 0 };
    },
  };
}
