import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RATE_LIMITS, type RateLimits } from '@trellis/auth';
import { createTestDatabase, type TestDatabase } from '@trellis/db/testing';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type ServerConfig } from '../../src/config.js';
import { buildServer, type ServerDeps } from '../../src/server.js';
import { type Mailbox, type ReceivedMail, startMailbox, tokenFromLink } from './mailbox.js';

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
  /**
   * The real SMTP server this server's SMTP_URL points at (its own, per server): every mail
   * the server sends arrives here.
   */
  mailbox: Mailbox;
  close(): Promise<void>;
}

/** Starts a server on 127.0.0.1 port 0; pass config overrides to test settings. */
export async function startTestServer(
  overrides: Partial<ServerConfig> = {},
  deps: Omit<ServerDeps, 'db'> = {},
): Promise<TestServer> {
  const database = await createTestDatabase();
  const mailbox = await startMailbox();
  // Each server's attachment files in a directory of its own, removed with it.
  const attachmentsDir = await mkdtemp(join(tmpdir(), 'trellis-test-attachments-'));
  const defaults = loadConfig({});
  const config: ServerConfig = {
    ...defaults,
    attachments: {
      ...defaults.attachments,
      dir: attachmentsDir,
      incomingDir: join(attachmentsDir, '.incoming'),
    },
    databaseUrl: database.url,
    host: '127.0.0.1',
    port: 0,
    logLevel: 'silent',
    nodeEnv: 'test',
    rateLimits: RELAXED_RATE_LIMITS,
    trpcHandler: TEST_TRPC_HANDLER,
    smtpUrl: mailbox.url,
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
    mailbox,
    // Closing the app destroys the database (and lets queued mail go out first);
    // destroy() then only removes the files.
    close: async () => {
      await app.close();
      await Promise.all([
        database.destroy(),
        mailbox.close(),
        rm(attachmentsDir, { recursive: true, force: true }),
      ]);
    },
  };
}

/** The verification mail sent to `email`: the first to arrive, or the `nth` (0-based). */
export async function verificationMail(
  server: TestServer,
  email: string,
  nth?: number,
): Promise<ReceivedMail> {
  return server.mailbox.waitFor({ to: email, subject: 'Verify your email', nth });
}

/**
 * Proves `email` the way a person does: waits for the verification mail sign-up sent to
 * it (the latest one, if several arrived), takes the token from its link and posts it to auth.verifyEmail over HTTP. Resolves
 * with the verified address; throws if the server refuses the token.
 */
export async function verifyEmailByMail(server: TestServer, email: string): Promise<string> {
  await verificationMail(server, email);
  // A newer link replaces older ones: use the latest verification mail received so far.
  const mail = server.mailbox
    .mailsTo(email)
    .filter((received) => received.subject.includes('Verify your email'))
    .at(-1);
  const link = mail?.links[0];
  if (!link) throw new Error(`The verification mail to ${email} holds no link`);
  const response = await fetch(`${server.url}/trpc/auth.verifyEmail`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: tokenFromLink(link) }),
  });
  const body = (await response.json()) as { result?: { data?: { email?: string } } };
  const verified = body.result?.data?.email;
  if (response.status !== 200 || verified === undefined) {
    throw new Error(
      `auth.verifyEmail refused ${email}: ${response.status} ${JSON.stringify(body)}`,
    );
  }
  return verified;
}
