import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { CacheCounts } from '@trellis/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { sendError } from '../errors.js';
import type { ClusterMetrics } from './cluster-metrics.js';
import { RequestSeries } from './request-series.js';
import { registerWebhookMetrics, type WebhookMetricsSource } from './webhook-metrics.js';

/** Connection counts of the database, as far as its driver tells them. */
export interface DatabaseStats {
  /** Connections open (SQLite: 1 while the database is open). */
  open: number;
  /** Open connections not serving a query (a pool's idle count). */
  idle?: number;
  /** Queries waiting for a connection (a pool's waiting count). */
  waiting?: number;
}

/** What {@link metrics} needs from the server. */
export interface MetricsOptions {
  /** `METRICS_TOKEN`: when set, scrapes must send it as a bearer token. */
  token: string | null;
  /** The bounded names a request is counted under (one per call of a tRPC batch). */
  labelsOf(request: FastifyRequest): string[];
  databaseStats(): DatabaseStats;
  /** In a worker of several: scrapes show the whole cluster's metrics, through the primary. */
  cluster?: ClusterMetrics;
  /** The server's caches by name, with what each has done so far. */
  caches?: Record<string, () => CacheCounts>;
  /** Webhook delivery: attempts by outcome and each endpoint's lag. */
  webhooks?: WebhookMetricsSource;
}

/** Seconds; from a cached point read to a slow search or export. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Counts every answer and serves `/metrics` (Prometheus text) from a registry of this
 * server's own: tests build several servers in one process, and each must count only its
 * requests. Registered without encapsulation: it counts the whole server's answers.
 */
export const metrics = fastifyPlugin(serveMetrics, { name: 'trellis-metrics', fastify: '5.x' });

function serveMetrics(
  app: FastifyInstance,
  options: MetricsOptions,
  done: (error?: Error) => void,
): void {
  const registry = new Registry();
  const requests = new RequestSeries(DURATION_BUCKETS, registry, {
    counter: 'trellis_requests_total',
    counterHelp:
      'Calls answered, by procedure (tRPC procedure or route pattern), method and HTTP status; a tRPC batch counts once per call',
    histogram: 'trellis_request_duration_seconds',
    histogramHelp:
      'Time from request to response, by procedure, method and HTTP status; each call of a tRPC batch observes its whole request; subscriptions observe their stream lifetime',
  });
  new Gauge({
    name: 'trellis_db_connections',
    help: 'Database connections: open, and (PostgreSQL) idle in the pool',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const stats = options.databaseStats();
      this.set({ state: 'open' }, stats.open);
      if (stats.idle !== undefined) this.set({ state: 'idle' }, stats.idle);
    },
  });
  new Gauge({
    name: 'trellis_db_waiting_queries',
    help: 'Queries waiting for a free database connection (PostgreSQL pool; 0 on SQLite, which has one connection and no measurable queue)',
    registers: [registry],
    collect() {
      this.set(options.databaseStats().waiting ?? 0);
    },
  });

  registerCacheMetrics(registry, options.caches ?? {});
  if (options.webhooks) registerWebhookMetrics(registry, options.webhooks);

  // Callback-style: no promise per request.
  app.addHook('onResponse', (request, reply, done) => {
    const seconds = reply.elapsedTime / 1000;
    for (const procedure of options.labelsOf(request)) {
      requests.record(procedure, request.method, reply.statusCode, seconds);
    }
    done();
  });

  // Event-loop lag, memory, GC and the like: started by the first scrape, so that the
  // servers tests build (and never scrape) do not each run an event-loop monitor; in a
  // cluster at once, since the primary collects from every worker.
  let defaultsStarted = false;
  const startDefaults = () => {
    if (defaultsStarted) return;
    defaultsStarted = true;
    collectDefaultMetrics({ register: registry });
  };
  const { cluster } = options;
  if (cluster) {
    startDefaults();
    cluster.report(registry);
  }
  const allowed = scrapeAccess(options.token);
  app.get('/metrics', async (request, reply) => {
    const verdict = allowed(request);
    if (verdict !== 'ok') {
      return verdict === 'unauthorized'
        ? sendError(reply, 401, 'Send the metrics token as a bearer token')
        : sendError(reply, 404, 'Not found');
    }
    startDefaults();
    const text = cluster ? await cluster.collect() : await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
  done();
}

/**
 * Who may scrape: with a token, whoever sends it; without, only a client on this machine
 * that is not a reverse proxy relaying someone else (a proxy on the same host connects from
 * loopback too, so a forwarded request is refused).
 */
function scrapeAccess(
  token: string | null,
): (request: FastifyRequest) => 'ok' | 'unauthorized' | 'hidden' {
  if (token !== null) {
    const expected = Buffer.from(`Bearer ${token}`);
    return (request) => {
      const given = Buffer.from(request.headers.authorization ?? '');
      return given.length === expected.length && timingSafeEqual(given, expected)
        ? 'ok'
        : 'unauthorized';
    };
  }
  return (request) =>
    !isProxied(request.headers) && isLoopback(request.socket.remoteAddress) ? 'ok' : 'hidden';
}

/**
 * Headers that only a proxy (or a client pretending to be behind one) sends: the standard
 * `Forwarded` and `Via`, the de facto `X-Forwarded-*` family, and the client-address headers
 * that nginx (`X-Real-IP`), Cloudflare, Akamai, Fastly and others set instead.
 */
const PROXY_HEADERS = new Set([
  'forwarded',
  'via',
  'x-real-ip',
  'x-client-ip',
  'x-cluster-client-ip',
  'x-original-forwarded-for',
  'true-client-ip',
  'cf-connecting-ip',
  'fastly-client-ip',
]);

/** Whether a request came through a proxy, or says it did: any proxy header is enough. */
function isProxied(headers: FastifyRequest['headers']): boolean {
  for (const name of Object.keys(headers)) {
    if (PROXY_HEADERS.has(name) || name.startsWith('x-forwarded-')) return true;
  }
  return false;
}

function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  return address === '::1';
}

/** Hits, misses and evictions of each cache (counters), and what it holds (gauges). */
function registerCacheMetrics(registry: Registry, caches: Record<string, () => CacheCounts>) {
  const counters = [
    ['trellis_cache_hits_total', 'Answers served from a cache', 'hits'],
    [
      'trellis_cache_misses_total',
      'Answers a cache did not hold, or held no longer valid',
      'misses',
    ],
    [
      'trellis_cache_evictions_total',
      "Entries dropped to stay within a cache's limits",
      'evictions',
    ],
  ] as const;
  for (const [name, help, key] of counters) {
    new Counter({
      name,
      help,
      labelNames: ['cache'] as const,
      registers: [registry],
      // The caches keep their own running totals; a scrape copies them.
      collect() {
        this.reset();
        for (const [cache, counts] of Object.entries(caches)) this.inc({ cache }, counts()[key]);
      },
    });
  }
  const gauges = [
    ['trellis_cache_entries', 'Entries a cache holds', 'entries'],
    ['trellis_cache_bytes', 'Approximate bytes a cache holds', 'bytes'],
  ] as const;
  for (const [name, help, key] of gauges) {
    new Gauge({
      name,
      help,
      labelNames: ['cache'] as const,
      registers: [registry],
      collect() {
        for (const [cache, counts] of Object.entries(caches)) this.set({ cache }, counts()[key]);
      },
    });
  }
}
