import { type Database, type Kysely, pendingMigrations, pingDatabase } from '@trellis/db';
import type { FastifyInstance } from 'fastify';
import fastifyPlugin from 'fastify-plugin';

/** How long `/readyz` waits for the database before calling it unreachable. */
const DATABASE_CHECK_TIMEOUT_MS = 2000;

/** Why this process should not get traffic, or null when it should. */
async function notReadyBecause(db: Kysely<Database>): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), DATABASE_CHECK_TIMEOUT_MS);
  });
  try {
    const answer = await Promise.race([pingDatabase(db), timeout]);
    if (answer === 'timeout') {
      return `database did not answer within ${DATABASE_CHECK_TIMEOUT_MS} ms`;
    }
    const pending = await pendingMigrations(db);
    if (pending.length > 0) return `migrations not applied: ${pending.join(', ')}`;
    return null;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `/healthz`: the process is alive (restart it if not). `/readyz`: it can serve — the
 * database answers and its migrations are current — and is not shutting down (send it no
 * traffic if not). A 503 carries the reason as JSON. Registered without encapsulation:
 * during a shutdown, every answer closes its connection.
 */
export const healthRoutes = fastifyPlugin(serveHealth, {
  name: 'trellis-health',
  fastify: '5.x',
});

/** What the health routes check. */
export interface HealthOptions {
  db: Kysely<Database>;
}

function serveHealth(
  app: FastifyInstance,
  { db }: HealthOptions,
  done: (error?: Error) => void,
): void {
  let shuttingDown = false;
  app.addHook('preClose', async () => {
    shuttingDown = true;
  });
  // Answers finished during the shutdown close their connection, rather than invite the
  // client to reuse one that is about to be closed under it.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (shuttingDown) reply.header('connection', 'close');
    done(null, payload);
  });

  app.get('/healthz', () => ({ status: 'ok' }));
  app.get('/readyz', async (request, reply) => {
    let reason: string | null = null;
    try {
      if (!shuttingDown) reason = await notReadyBecause(db);
    } catch (error) {
      // The details (host names, driver messages) go to the log, not to the prober.
      request.log.warn({ err: error }, 'readiness check failed');
      reason = 'database unreachable';
    }
    // Checked after the database too: the shutdown may have begun meanwhile. (Once it has,
    // the listener is closed, so this answers only probes already under way.)
    if (shuttingDown) reason = 'shutting down';
    if (reason === null) return { status: 'ready' };
    return reply.code(503).send({ status: 'unavailable', reason });
  });
  done();
}
