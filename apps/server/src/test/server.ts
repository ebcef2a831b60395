import { DEFAULT_RATE_LIMITS, type RateLimits } from '@trellis/auth';
import { createTestDatabase, type TestDatabase } from '@trellis/db/testing';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type ServerConfig } from '../config.js';
import { buildServer, type ServerDeps } from '../server.js';

/**
 * The default limits ×1000: suites that sign up dozens of users from 127.0.0.1 are not
 * what the limits are for. Rate-limit tests pass `rateLimits: DEFAULT_RATE_LIMITS`.
 */
export const RELAXED_RATE_LIMITS: RateLimits = Object.fromEntries(
  Object.entries(DEFAULT_RATE_LIMITS).map(([name, rule]) => [
    name,
    { ...rule, limit: rule.limit * 1000 },
  ]),
) as unknown as RateLimits;

/**
 * The tRPC handler test servers use unless a test overrides `trpcHandler`: the config's
 * default, or `TRELLIS_TRPC_HANDLER` (`lean` | `official`), so CI can run every suite
 * against both.
 */
export const TEST_TRPC_HANDLER: ServerConfig['trpcHandler'] = loadConfig({
  TRPC_HANDLER: process.env.TRELLIS_TRPC_HANDLER,
}).trpcHandler;

/** A real Trellis server on a random loopback port, over a fresh test database (SQLite, or
 * PostgreSQL when TRELLIS_TEST_DIALECT=postgres). */
export interface TestServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** The `Host` header value requests to `url` carry. */
  host: string;
  /** The server's database, for asserting on what it stored. */
  db: TestDatabase['db'];
  app: FastifyInstance;
  close(): Promise<void>;
}

/** Starts a server on 127.0.0.1 port 0; pass config overrides to test settings. */
export async function startTestServer(
  overrides: Partial<ServerConfig> = {},
  deps: Omit<ServerDeps, 'db'> = {},
): Promise<TestServer> {
  const database = await createTestDatabase();
  const config: ServerConfig = {
    ...loadConfig({}),
    databaseUrl: database.url,
    host: '127.0.0.1',
    port: 0,
    logLevel: 'silent',
    nodeEnv: 'test',
    rateLimits: RELAXED_RATE_LIMITS,
    trpcHandler: TEST_TRPC_HANDLER,
    ...overrides,
  };
  const app = buildServer(config, { ...deps, db: database.db });
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no port');
  const host = `127.0.0.1:${address.port}`;
  return {
    url: `http://${host}`,
    host,
    db: database.db,
    app,
    // Closing the app destroys the database; destroy() then only removes the files.
    close: async () => {
      await app.close();
      await database.destroy();
    },
  };
}
