import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_RATE_LIMITS } from '@trellis/auth';
import { parseDatabaseUrl } from '@trellis/db';
import { z } from 'zod';
import { attachmentEnv, attachmentSettings } from './attachments/settings.js';
import { DURATION_HINT, parseDuration } from './webhooks/duration.js';

const booleanFlag = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');

/**
 * `TRUST_PROXY`: `false` (default: X-Forwarded-For is ignored), `true` (trust every hop;
 * only when nothing can reach the server except through the proxy), a hop count, or
 * comma-separated proxy addresses / CIDR ranges.
 */
const trustProxy = z
  .string()
  .default('false')
  .transform((value, ctx): boolean | number | string[] => {
    if (value === 'true' || value === 'false') return value === 'true';
    if (/^\d+$/.test(value)) return Number(value);
    const list = value
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean);
    for (const entry of list) {
      const [address = '', bits] = entry.split('/');
      const version = isIP(address);
      const maxBits = version === 6 ? 128 : 32;
      if (
        version === 0 ||
        (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= maxBits))
      ) {
        ctx.addIssue({
          code: 'custom',
          message: `"${entry}" is not true, false, a hop count, or an IP address / CIDR range`,
        });
        return z.NEVER;
      }
    }
    return list;
  });

const DAY_MS = 24 * 60 * 60 * 1000;

/** `WEBHOOK_RETRY_WINDOW`: a duration (`3d`) in ms, more than 0 and at most 30 days. */
const retryWindow = z
  .string()
  .default('3d')
  .transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined || ms <= 0 || ms > 30 * DAY_MS) {
      ctx.addIssue({
        code: 'custom',
        message:
          ms === undefined
            ? `"${text}" is not a duration: use ${DURATION_HINT}`
            : `"${text}" must be more than 0 and at most 30d`,
      });
      return z.NEVER;
    }
    return ms;
  });

/**
 * `WEBHOOK_RETRY_SCHEDULE`: the waits between tries of a failing webhook delivery, e.g.
 * `5s,5m,30m,2h,5h,10h`; each from 0 to 7 days.
 */
const retrySchedule = z
  .string()
  .default('5s,5m,30m,2h,5h,10h')
  .transform((text, ctx) => {
    const parts = text.split(',').map((part) => part.trim());
    const delays: number[] = [];
    for (const part of parts) {
      const ms = parseDuration(part);
      if (ms === undefined || ms > 7 * DAY_MS) {
        ctx.addIssue({
          code: 'custom',
          message:
            ms === undefined
              ? `"${part}" is not a duration: list one or more durations separated by commas, each ${DURATION_HINT}`
              : `"${part}" is longer than 7d`,
        });
        return z.NEVER;
      }
      delays.push(ms);
    }
    return delays;
  });

/**
 * The dashboard's build output (apps/dashboard/dist). This module runs from apps/server/src
 * (tsx, tests), apps/server/dist/config.js (tsc) or apps/server/dist/main.js (the esbuild
 * bundle): one level below the package in each case, so one relative URL serves all three.
 */
const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../dashboard/dist', import.meta.url));

/** What mails say they are from unless MAIL_FROM says otherwise. */
export const DEFAULT_MAIL_FROM = 'Trellis <trellis@localhost>';

/**
 * A bare address, or a display name and an address in angle brackets. No line breaks or
 * stray angle brackets: the value becomes a mail header.
 */
const MAIL_FROM_PATTERN =
  /^(?:[^<>\r\n"@]+<[^\s<>@"]+@[^\s<>@"]+>|"[^"\r\n]+"\s*<[^\s<>@"]+@[^\s<>@"]+>|[^\s<>@"]+@[^\s<>@"]+)$/;

/** Why `url` is not a usable SMTP_URL, or undefined when it is. */
function smtpUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'use smtp://user:pass@host:port or smtps://user:pass@host:port';
  }
  if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') {
    return `the scheme must be smtp: or smtps:, not ${parsed.protocol}`;
  }
  if (!parsed.hostname) return 'name the mail server: smtp://user:pass@host:port';
  return undefined;
}

const envSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().min(1).default('127.0.0.1'),
    /** `file:<path>` (SQLite) or `postgres://…`; checked here so a typo fails at start. */
    DATABASE_URL: z
      .string()
      .min(1)
      .default('file:./data/trellis.db')
      .superRefine((url, ctx) => {
        try {
          parseDatabaseUrl(url);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message });
        }
      }),
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    MIGRATE_ON_START: booleanFlag.default(true),
    /** Comma-separated origins (scheme://host:port) allowed to send cookie mutations. */
    TRUSTED_ORIGINS: z
      .string()
      .default('')
      .transform((list) =>
        list
          .split(',')
          .map((origin) => origin.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.url()))
      // Browsers send `scheme://host[:port]`; `https://x.example/` must match that too.
      .transform((list) => list.map((origin) => new URL(origin).origin)),
    /** `auto`: Secure cookies unless the request is addressed to localhost. */
    COOKIE_SECURE: z.enum(['auto', 'true', 'false']).default('auto'),
    BODY_LIMIT_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .default(1024 * 1024),
    MAX_BATCH_SIZE: z.coerce.number().int().min(1).max(1000).default(50),
    /** Where uploaded import files wait while their job runs (removed when it ends). */
    IMPORT_DIR: z.string().min(1).default(join(tmpdir(), 'trellis-imports')),
    /** The largest import upload (workspace export or CSV); a bigger one is refused with 413. */
    IMPORT_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .default(1024 * 1024 * 1024),
    ...attachmentEnv,
    /**
     * How long a client may take to send a request's headers: slow-header (slowloris)
     * connections are cut off after it with 408.
     */
    HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
    /** How long a client may take to send a whole request, body included (408 after). */
    REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
    /**
     * Live-update streams (subscriptions) one user may hold open at once, over all of their
     * sessions and tokens, in this process; one more is refused with 429.
     */
    MAX_STREAMS_PER_USER: z.coerce.number().int().min(1).max(10_000).default(16),
    /**
     * SQLite's `synchronous` setting. `normal` (WAL): a committed write survives the
     * process crashing; a power loss can lose the last commits (never corrupts). `full`:
     * a commit also survives power loss, at the cost of an fsync per commit.
     */
    SQLITE_SYNCHRONOUS: z.enum(['normal', 'full']).default('normal'),
    /** Server processes sharing the port (node:cluster); 1 serves without a cluster. */
    WORKERS: z.coerce.number().int().min(1).max(64).default(1),
    /** Connections each process keeps to PostgreSQL (ignored on SQLite). */
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(10),
    /**
     * How long SIGTERM waits for in-flight requests before cutting them off (and exiting 1
     * instead of 0).
     */
    SHUTDOWN_TIMEOUT_MS: z.coerce
      .number()
      .int()
      .min(0)
      .max(24 * 60 * 60 * 1000)
      .default(10_000),
    /**
     * When set, `/metrics` answers only `Authorization: Bearer <token>`; when not, only
     * requests from a loopback address.
     */
    METRICS_TOKEN: z
      .string()
      .min(16, 'use at least 16 characters (e.g. openssl rand -hex 32)')
      .regex(/^[\x21-\x7e]+$/, 'use printable characters without spaces')
      .optional(),
    /**
     * `lean`: queries and mutations are served by our own tRPC handler (trpc/lean-handler.ts);
     * `official`: by tRPC's Fastify adapter. Subscriptions always use the adapter.
     */
    TRPC_HANDLER: z.enum(['lean', 'official']).default('lean'),
    /** How often expired sessions are swept from the database. */
    SESSION_SWEEP_INTERVAL_MS: z.coerce
      .number()
      .int()
      .min(10)
      .max(24 * 60 * 60 * 1000) // setInterval cannot wait longer than ~24.8 days
      .default(60 * 60 * 1000),
    /**
     * How often each process looks for due-date reminders and email digests to send (a
     * reminder is sent at most this late; the processes share the work).
     */
    REMINDER_INTERVAL_MS: z.coerce
      .number()
      .int()
      .min(10)
      .max(60 * 60 * 1000)
      .default(30_000),
    /** How long deleted tasks stay in the trash before the sweep purges them for good. */
    TRASH_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
    TRUST_PROXY: trustProxy,
    /** Where browsers reach this server (OAuth callback URLs are built from it). */
    PUBLIC_URL: z
      .url()
      .transform((url) => new URL(url).origin)
      .optional(),
    /**
     * Where mail goes: `smtp://user:pass@host:port` (STARTTLS when the server offers it) or
     * `smtps://…` (TLS from the start). Unset: mails are logged in development and test,
     * and the features that need mail answer 503 in production.
     */
    SMTP_URL: z
      .string()
      .optional()
      .superRefine((url, ctx) => {
        if (url === undefined) return;
        const problem = smtpUrlProblem(url);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
    /** The From of every mail: `Name <address>` or a bare address. */
    MAIL_FROM: z
      .string()
      .default(DEFAULT_MAIL_FROM)
      .refine(
        (from) => MAIL_FROM_PATTERN.test(from),
        'use an address (trellis@example.com) or a name and one (Trellis <trellis@example.com>)',
      ),
    OAUTH_GITHUB_CLIENT_ID: z.string().optional(),
    OAUTH_GITHUB_CLIENT_SECRET: z.string().optional(),
    OAUTH_GOOGLE_CLIENT_ID: z.string().optional(),
    OAUTH_GOOGLE_CLIENT_SECRET: z.string().optional(),
    OIDC_CLIENT_ID: z.string().optional(),
    OIDC_CLIENT_SECRET: z.string().optional(),
    /** Any OpenID Connect issuer, found by discovery. */
    OIDC_ISSUER: z.url().optional(),
    /** What the sign-in button for the OIDC issuer says. */
    OIDC_NAME: z.string().min(1).max(50).default('Single sign-on'),
    /** The built dashboard (index.html + assets), served at `/`; relative to the working directory. */
    DASHBOARD_DIR: z.string().optional(),
    /**
     * Webhooks may target loopback, private, link-local… addresses (tests, receivers on the
     * same network). Cloud metadata addresses stay refused.
     */
    WEBHOOK_ALLOW_PRIVATE: booleanFlag.default(false),
    WEBHOOK_RETRY_SCHEDULE: retrySchedule,
    /** How long an event may keep failing before its endpoint is disabled. */
    WEBHOOK_RETRY_WINDOW: retryWindow,
    /** The deadline of one delivery, from the lookup to the answer's first 1 KB. */
    WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
    /** Webhook endpoints one process sends to at once (each endpoint in order). */
    WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
  })
  .superRefine((e, ctx) => {
    const pairs = [
      ['OAUTH_GITHUB', e.OAUTH_GITHUB_CLIENT_ID, e.OAUTH_GITHUB_CLIENT_SECRET],
      ['OAUTH_GOOGLE', e.OAUTH_GOOGLE_CLIENT_ID, e.OAUTH_GOOGLE_CLIENT_SECRET],
      ['OIDC', e.OIDC_CLIENT_ID, e.OIDC_CLIENT_SECRET],
    ] as const;
    for (const [prefix, id, secret] of pairs) {
      // A client id without its secret (or the reverse) is a half-done setup: say so.
      if ((id === undefined) !== (secret === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: [id === undefined ? `${prefix}_CLIENT_ID` : `${prefix}_CLIENT_SECRET`],
          message: `set both ${prefix}_CLIENT_ID and ${prefix}_CLIENT_SECRET, or neither`,
        });
      }
    }
    if (e.HEADERS_TIMEOUT_MS > e.REQUEST_TIMEOUT_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['HEADERS_TIMEOUT_MS'],
        message: `must not exceed REQUEST_TIMEOUT_MS (${e.REQUEST_TIMEOUT_MS})`,
      });
    }
    if ((e.OIDC_ISSUER === undefined) !== (e.OIDC_CLIENT_ID === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['OIDC_ISSUER'],
        message: 'set OIDC_ISSUER together with OIDC_CLIENT_ID and OIDC_CLIENT_SECRET',
      });
    }
  })
  .transform((e) => ({
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    nodeEnv: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    migrateOnStart: e.MIGRATE_ON_START,
    trustedOrigins: e.TRUSTED_ORIGINS,
    cookieSecure: e.COOKIE_SECURE,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    maxBatchSize: e.MAX_BATCH_SIZE,
    importDir: resolve(e.IMPORT_DIR),
    importMaxBytes: e.IMPORT_MAX_BYTES,
    attachments: attachmentSettings(e),
    headersTimeoutMs: e.HEADERS_TIMEOUT_MS,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    maxStreamsPerUser: e.MAX_STREAMS_PER_USER,
    sqliteSynchronous: e.SQLITE_SYNCHRONOUS,
    workers: e.WORKERS,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    metricsToken: e.METRICS_TOKEN ?? null,
    trpcHandler: e.TRPC_HANDLER,
    sessionSweepIntervalMs: e.SESSION_SWEEP_INTERVAL_MS,
    reminderIntervalMs: e.REMINDER_INTERVAL_MS,
    trashRetentionDays: e.TRASH_RETENTION_DAYS,
    trustProxy: e.TRUST_PROXY,
    publicUrl: e.PUBLIC_URL ?? `http://localhost:${e.PORT}`,
    smtpUrl: e.SMTP_URL ?? null,
    mailFrom: e.MAIL_FROM,
    oauth: {
      github: clientSettings(e.OAUTH_GITHUB_CLIENT_ID, e.OAUTH_GITHUB_CLIENT_SECRET),
      google: clientSettings(e.OAUTH_GOOGLE_CLIENT_ID, e.OAUTH_GOOGLE_CLIENT_SECRET),
      oidc:
        e.OIDC_ISSUER && e.OIDC_CLIENT_ID && e.OIDC_CLIENT_SECRET
          ? {
              issuer: e.OIDC_ISSUER,
              name: e.OIDC_NAME,
              clientId: e.OIDC_CLIENT_ID,
              clientSecret: e.OIDC_CLIENT_SECRET,
            }
          : null,
    },
    dashboardDir: e.DASHBOARD_DIR === undefined ? DEFAULT_DASHBOARD_DIR : resolve(e.DASHBOARD_DIR),
    webhooks: {
      allowPrivate: e.WEBHOOK_ALLOW_PRIVATE,
      retrySchedule: e.WEBHOOK_RETRY_SCHEDULE,
      retryWindowMs: e.WEBHOOK_RETRY_WINDOW,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      concurrency: e.WEBHOOK_CONCURRENCY,
    },
    /** Not read from the environment: the defaults suit every deployment we know of. */
    rateLimits: DEFAULT_RATE_LIMITS,
  }));

function clientSettings(clientId: string | undefined, clientSecret: string | undefined) {
  return clientId && clientSecret ? { clientId, clientSecret } : null;
}

/** The server's whole configuration, validated. */
export type ServerConfig = z.output<typeof envSchema>;

/**
 * Thrown when the environment holds an invalid setting; the message, one line, names each
 * one (operators read it in a service manager's status line).
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads and validates the configuration from environment variables, once, at start. */
export function loadConfig(env: Record<string, string | undefined>): ServerConfig {
  // An empty variable means "not set", as in most shells' `VAR= cmd`.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) => `${i.path.join('.')}: ${i.message.replace(/\s+/g, ' ')}`,
    );
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}
