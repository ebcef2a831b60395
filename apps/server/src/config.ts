import { z } from 'zod';

const booleanFlag = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');

const envSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().min(1).default('127.0.0.1'),
    DATABASE_URL: z.string().min(1).default('file:./data/trellis.db'),
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
    /** How often expired sessions are swept from the database. */
    SESSION_SWEEP_INTERVAL_MS: z.coerce
      .number()
      .int()
      .min(10)
      .max(24 * 60 * 60 * 1000) // setInterval cannot wait longer than ~24.8 days
      .default(60 * 60 * 1000),
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
    sessionSweepIntervalMs: e.SESSION_SWEEP_INTERVAL_MS,
  }));

/** The server's whole configuration, validated. */
export type ServerConfig = z.output<typeof envSchema>;

/** Thrown when the environment holds an invalid setting; the message names each one. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads and validates the configuration from environment variables, once, at start. */
export function loadConfig(env: Record<string, string | undefined>): ServerConfig {
  // An empty variable means "not set", as in most shells' `VAR= cmd`.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
