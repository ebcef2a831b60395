import type { Cluster, Worker } from 'node:cluster';
import { createDatabase, migrateToLatest } from '@trellis/db';
import { ConfigError, loadConfig, type ServerConfig } from './config.js';
import { clusterMetricsClient, serveClusterMetrics } from './ops/cluster-metrics.js';
import { shutDownGracefully } from './ops/shutdown.js';
import { checkDatabase, StartupError, startupStep } from './ops/startup.js';
import { buildServer } from './server.js';

/** What the primary sends a worker to make it finish in-flight requests and exit. */
const SHUTDOWN_MESSAGE = 'trellis:shutdown';

/**
 * Serves in this process: the whole server with WORKERS=1, one worker of several otherwise
 * (`isWorker`: the primary has migrated already, once, before forking).
 */
async function serve(config: ServerConfig, isWorker: boolean): Promise<void> {
  const db = await openDatabase(config);
  if (config.migrateOnStart && !isWorker) {
    await startupStep('migrate the database', () => migrateToLatest(db));
  }
  const app = buildServer(config, {
    db,
    clusterMetrics: isWorker ? clusterMetricsClient() : undefined,
  });

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) {
      app.log.warn(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    closing = true;
    app.log.info(`${signal}: finishing in-flight requests, then exiting`);
    shutDownGracefully(app, config.shutdownTimeoutMs).then(
      ({ forced }) => process.exit(forced ? 1 : 0),
      (error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  // A Ctrl-C reaches the workers and the primary alike; the primary's request that follows
  // is then the same shutdown, not a second signal that would cut requests short.
  process.on('message', (message) => {
    if (message === SHUTDOWN_MESSAGE && !closing) shutdown('shutdown request from the primary');
  });

  await startupStep(`listen on ${config.host} port ${config.port}`, () =>
    app.listen({ port: config.port, host: config.host }),
  );
}

/** Opens the configured database and checks that it answers (and takes writes). */
async function openDatabase(config: ServerConfig) {
  const db = await startupStep('open the database (DATABASE_URL)', () =>
    createDatabase(config.databaseUrl, {
      poolSize: config.databasePoolSize,
      synchronous: config.sqliteSynchronous,
    }),
  );
  await startupStep('use the database (DATABASE_URL)', () => checkDatabase(db));
  return db;
}

/**
 * WORKERS > 1: migrates once, then forks the workers, which share the port (node:cluster
 * hands them the connections). A worker that dies after it was serving is replaced; one
 * that dies before (a bad port, a broken database) stops them all, instead of looping.
 */
async function runPrimary(config: ServerConfig, cluster: Cluster): Promise<void> {
  if (config.migrateOnStart) {
    const db = await openDatabase(config);
    try {
      await startupStep('migrate the database', () => migrateToLatest(db));
    } finally {
      await db.destroy();
    }
  }
  serveClusterMetrics(cluster);
  const serving = new WeakSet<Worker>();
  let stopping = false;
  let exitCode = 0;
  const live = () => Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);

  const stop = (reason: string, code: number) => {
    if (stopping) {
      console.error(`${reason} again: killing the workers without waiting`);
      for (const worker of live()) worker.process.kill('SIGKILL');
      process.exit(1);
    }
    stopping = true;
    exitCode = code;
    for (const worker of live()) worker.send(SHUTDOWN_MESSAGE);
  };
  process.on('SIGINT', () => stop('SIGINT', 0));
  process.on('SIGTERM', () => stop('SIGTERM', 0));

  cluster.on('listening', (worker) => serving.add(worker));
  cluster.on('exit', (worker, code, signal) => {
    if (!stopping) {
      const how = signal ?? `code ${code}`;
      if (serving.has(worker)) {
        console.error(`worker ${worker.process.pid} died (${how}); starting another`);
        cluster.fork();
      } else {
        console.error(`worker ${worker.process.pid} failed to start (${how}); stopping`);
        stop('failed start', 1);
      }
    } else if (code !== 0) {
      exitCode = 1;
    }
    if (stopping && live().length === 0) process.exit(exitCode);
  });
  for (let i = 0; i < config.workers; i += 1) cluster.fork();
}

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  if (config.workers === 1) return serve(config, false);
  // Loaded only for several workers: node:cluster brings child_process with it, ~25 ms of
  // a single process's cold start.
  const { default: cluster } = await import('node:cluster');
  if (cluster.isPrimary) await runPrimary(config, cluster);
  else await serve(config, true);
}

main().catch((error: unknown) => {
  // What the operator can fix is said in one line; anything else is a bug: its stack helps.
  if (error instanceof ConfigError || error instanceof StartupError) console.error(error.message);
  else console.error('Trellis failed to start:', error);
  process.exit(1);
});
