import { appRouter, oldestUndelivered, procedureSchemas, StatsCache } from '@trellis/api';
import type { Database, Kysely } from '@trellis/db';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { attachmentRoutes } from './attachments/routes.js';
import type { ServerConfig } from './config.js';
import { dashboardSite } from './dashboard.js';
import { errorAnswers, frameworkErrorOptions } from './errors.js';
import { DatabaseState, housekeeping } from './housekeeping.js';
import { importRoutes } from './imports.js';
import { csvImportRoutes } from './imports-csv.js';
import { configuredMailer } from './mail/index.js';
import { notificationScheduler } from './notification-scheduler.js';
import { configuredProviders, oauthRoutes } from './oauth.js';
import type { ClusterMetrics } from './ops/cluster-metrics.js';
import { healthRoutes } from './ops/health.js';
import { lazyRequestLogger } from './ops/lazy-request-logger.js';
import {
  type LogStream,
  loggerOptions,
  REQUEST_LOG_LEVELS,
  requestLogController,
} from './ops/logging.js';
import { metrics } from './ops/metrics.js';
import { procedureLabeller } from './ops/procedure-label.js';
import { answerIdentity, requestId } from './ops/request-id.js';
import { streamGate } from './ops/stream-limits.js';
import { WebhookAttemptCounts } from './ops/webhook-metrics.js';
import { requestContexts } from './request-context.js';
import { restApiPlugin } from './rest/index.js';
import { trpcTransport } from './trpc/index.js';
import { webhookDelivery } from './webhook-delivery.js';
import { webhookSettings } from './webhooks/settings.js';

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
  const database = new DatabaseState(db);
  // How webhooks are sent (WEBHOOK_* settings), by the procedures and the delivery worker.
  const webhooks = webhookSettings(config);
  const webhookAttempts = new WebhookAttemptCounts();
  const contexts = requestContexts(config, {
    db,
    now,
    statsCache,
    mailer,
    webhooks,
    // Only the request log line needs to know who called.
    onUser: REQUEST_LOG_LEVELS.has(config.logLevel)
      ? (request, userId) => {
          request.userId = userId;
        }
      : undefined,
  });

  // The server's parts, each a plugin. Their hooks run in this order; they close in the
  // reverse order, so the database (housekeeping) closes last.
  app.register(housekeeping, {
    db,
    now,
    mailer,
    databaseUrl: config.databaseUrl,
    sweepIntervalMs: config.sessionSweepIntervalMs,
    trashRetentionDays: config.trashRetentionDays,
    database,
  });
  // Sends webhooks from the activity log; stops before the database closes.
  app.register(webhookDelivery, {
    db,
    now,
    settings: webhooks,
    attempts: webhookAttempts,
    timeoutMs: config.webhooks.timeoutMs,
    concurrency: config.webhooks.concurrency,
  });
  // Due-date reminders and email digests; stops before the mailer and database close.
  app.register(notificationScheduler, {
    db,
    now,
    mailer,
    publicUrl: config.publicUrl,
    intervalMs: config.reminderIntervalMs,
  });
  app.register(errorAnswers);
  // Requests no route matched: the dashboard's files and pages, or a JSON 404.
  app.register(dashboardSite, {
    dir: config.dashboardDir,
    production: config.nodeEnv === 'production',
  });
  // X-Request-Id and nosniff on every answer.
  app.register(answerIdentity);
  app.register(metrics, {
    caches: { stats: () => statsCache.counts() },
    token: config.metricsToken,
    labelsOf,
    cluster: clusterMetrics,
    databaseStats: () => database.stats(),
    webhooks: { attempts: webhookAttempts, oldestUndelivered: () => oldestUndelivered(db), now },
  });
  app.register(healthRoutes, { db });
  app.register(oauthRoutes, {
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
    // At most MAX_STREAMS_PER_USER open streams per user, over every process
    // (ops/stream-limits.ts).
    streams: streamGate({ db, now, maxPerUser: config.maxStreamsPerUser, log: app.log }),
  });
  // The same procedures as REST under /api/v1, with the OpenAPI document and docs page.
  app.register(restApiPlugin, { prefix: '/api', router: appRouter, contexts });
  // workspaces.export / workspaces.import: streamed bodies, import jobs (imports.ts).
  app.register(importRoutes, {
    prefix: '/api/v1',
    db,
    contexts,
    now,
    databaseUrl: config.databaseUrl,
    dir: config.importDir,
    maxBytes: config.importMaxBytes,
  });
  // Attachments: streamed uploads, downloads with ranges, previews, and removing the files
  // of deleted rows (attachments/).
  app.register(attachmentRoutes, {
    prefix: '/api/v1',
    db,
    contexts,
    now,
    settings: config.attachments,
    sweepIntervalMs: config.sessionSweepIntervalMs,
  });
  // POST …/import/tasks.csv: the CSV task import, a job in the same queue (imports-csv.ts).
  app.register(csvImportRoutes, {
    prefix: '/api/v1',
    db,
    contexts,
    now,
    dir: config.importDir,
    maxBytes: config.importMaxBytes,
  });
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
