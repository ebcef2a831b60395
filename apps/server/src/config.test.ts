import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_RATE_LIMITS } from '@trellis/auth';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('has working defaults for a fresh machine', () => {
    expect(loadConfig({})).toEqual({
      port: 3000,
      host: '127.0.0.1',
      databaseUrl: 'file:./data/trellis.db',
      nodeEnv: 'development',
      logLevel: 'info',
      migrateOnStart: true,
      trustedOrigins: [],
      cookieSecure: 'auto',
      bodyLimitBytes: 1024 * 1024,
      maxBatchSize: 50,
      importDir: join(tmpdir(), 'trellis-imports'),
      importMaxBytes: 1024 * 1024 * 1024,
      // Beside the default SQLite file.
      attachments: {
        dir: resolve('data', 'attachments'),
        incomingDir: resolve('data', 'attachments', '.incoming'),
        s3: null,
        maxBytes: 25 * 1024 * 1024,
        quotaBytes: 1024 * 1024 * 1024,
      },
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      maxStreamsPerUser: 16,
      sqliteSynchronous: 'normal',
      workers: 1,
      databasePoolSize: 10,
      shutdownTimeoutMs: 10_000,
      metricsToken: null,
      trpcHandler: 'lean',
      sessionSweepIntervalMs: 60 * 60 * 1000,
      reminderIntervalMs: 30_000,
      trashRetentionDays: 30,
      trustProxy: false,
      publicUrl: 'http://localhost:3000',
      smtpUrl: null,
      mailFrom: 'Trellis <trellis@localhost>',
      oauth: { github: null, google: null, oidc: null },
      dashboardDir: fileURLToPath(new URL('../../dashboard/dist', import.meta.url)),
      webhooks: {
        allowPrivate: false,
        retrySchedule: [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000],
        retryWindowMs: 3 * 24 * 60 * 60 * 1000,
        timeoutMs: 10_000,
        concurrency: 16,
      },
      rateLimits: DEFAULT_RATE_LIMITS,
    });
  });

  it('reads the webhook settings: private targets, retry schedule and window, timeout', () => {
    expect(
      loadConfig({
        WEBHOOK_ALLOW_PRIVATE: 'true',
        WEBHOOK_RETRY_SCHEDULE: '0s, 250ms,1.5m,7d',
        WEBHOOK_RETRY_WINDOW: '12h',
        WEBHOOK_TIMEOUT_MS: '500',
        WEBHOOK_CONCURRENCY: '3',
      }).webhooks,
    ).toEqual({
      allowPrivate: true,
      retrySchedule: [0, 250, 90_000, 7 * 24 * 60 * 60 * 1000],
      retryWindowMs: 12 * 60 * 60 * 1000,
      timeoutMs: 500,
      concurrency: 3,
    });
    expect(loadConfig({ WEBHOOK_RETRY_SCHEDULE: '1s' }).webhooks.retrySchedule).toEqual([1000]);
    expect(loadConfig({ WEBHOOK_ALLOW_PRIVATE: '0' }).webhooks.allowPrivate).toBe(false);

    for (const [name, bad, message] of [
      ['WEBHOOK_ALLOW_PRIVATE', 'yes', /Invalid option/i],
      ['WEBHOOK_RETRY_SCHEDULE', '5s,soon', /"soon" is not a duration: list one or more durations/],
      ['WEBHOOK_RETRY_SCHEDULE', ',', /"" is not a duration/],
      ['WEBHOOK_RETRY_SCHEDULE', '5', /"5" is not a duration/],
      ['WEBHOOK_RETRY_SCHEDULE', '-5s', /"-5s" is not a duration/],
      ['WEBHOOK_RETRY_SCHEDULE', '5s,8d', /"8d" is longer than 7d/],
      ['WEBHOOK_RETRY_WINDOW', '3 days', /"3 days" is not a duration: use a number and a unit/],
      ['WEBHOOK_RETRY_WINDOW', '0s', /"0s" must be more than 0 and at most 30d/],
      ['WEBHOOK_RETRY_WINDOW', '31d', /"31d" must be more than 0 and at most 30d/],
      ['WEBHOOK_TIMEOUT_MS', '50', /WEBHOOK_TIMEOUT_MS/],
      ['WEBHOOK_TIMEOUT_MS', '60001', /WEBHOOK_TIMEOUT_MS/],
      ['WEBHOOK_CONCURRENCY', '0', /WEBHOOK_CONCURRENCY/],
      ['WEBHOOK_CONCURRENCY', '257', /WEBHOOK_CONCURRENCY/],
      ['TRASH_RETENTION_DAYS', '0', /TRASH_RETENTION_DAYS/],
      ['TRASH_RETENTION_DAYS', '1.5', /TRASH_RETENTION_DAYS/],
    ] as const) {
      const load = () => loadConfig({ [name]: bad });
      expect(load).toThrow(ConfigError);
      expect(load).toThrow(new RegExp(`^Invalid configuration: ${name}: `));
      expect(load).toThrow(message);
    }
  });

  it('reads DASHBOARD_DIR relative to the working directory', () => {
    expect(loadConfig({ DASHBOARD_DIR: '/srv/dashboard' }).dashboardDir).toBe('/srv/dashboard');
    expect(loadConfig({ DASHBOARD_DIR: 'web' }).dashboardDir).toBe(resolve('web'));
  });

  it('reads every variable, treating empty ones as unset', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      DATABASE_URL: 'file:/var/lib/trellis.db',
      NODE_ENV: 'production',
      LOG_LEVEL: '',
      MIGRATE_ON_START: 'false',
      TRUSTED_ORIGINS: 'https://app.example.com/, http://localhost:5173',
      COOKIE_SECURE: 'true',
    });

    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      databaseUrl: 'file:/var/lib/trellis.db',
      nodeEnv: 'production',
      logLevel: 'info',
      migrateOnStart: false,
      trustedOrigins: ['https://app.example.com', 'http://localhost:5173'],
      cookieSecure: 'true',
    });
  });

  it('reads TRPC_HANDLER as lean or official, and refuses anything else', () => {
    expect(loadConfig({ TRPC_HANDLER: 'official' }).trpcHandler).toBe('official');
    expect(loadConfig({ TRPC_HANDLER: 'lean' }).trpcHandler).toBe('lean');
    expect(() => loadConfig({ TRPC_HANDLER: 'fast' })).toThrow(/TRPC_HANDLER/);
  });

  it('reads WORKERS as a process count from 1 to 64', () => {
    expect(loadConfig({ WORKERS: '4' }).workers).toBe(4);
    for (const bad of ['0', '65', '1.5', 'two']) {
      expect(() => loadConfig({ WORKERS: bad })).toThrow(/WORKERS/);
    }
  });

  it('names every invalid variable in one error of one line', () => {
    const load = () =>
      loadConfig({ PORT: '70000', TRUSTED_ORIGINS: 'not a url', LOG_LEVEL: 'loud' });

    expect(load).toThrow(ConfigError);
    expect(load).toThrow(
      /^Invalid configuration: PORT: [^\n]*; LOG_LEVEL: [^\n]*; TRUSTED_ORIGINS[^\n]*$/,
    );
  });

  it('refuses a DATABASE_URL that names no database it can open', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://db.internal/trellis' }).databaseUrl).toBe(
      'postgres://db.internal/trellis',
    );
    for (const bad of ['mysql://db/trellis', 'file:']) {
      expect(() => loadConfig({ DATABASE_URL: bad })).toThrow(
        /^Invalid configuration: DATABASE_URL: /,
      );
    }
  });

  it('reads the operations settings: pool size, shutdown deadline, metrics token', () => {
    const config = loadConfig({
      DATABASE_POOL_SIZE: '25',
      SHUTDOWN_TIMEOUT_MS: '30000',
      METRICS_TOKEN: 'a-long-enough-metrics-token',
    });
    expect(config).toMatchObject({
      databasePoolSize: 25,
      shutdownTimeoutMs: 30_000,
      metricsToken: 'a-long-enough-metrics-token',
    });
    for (const [name, bad] of [
      ['DATABASE_POOL_SIZE', '0'],
      ['DATABASE_POOL_SIZE', 'ten'],
      ['SHUTDOWN_TIMEOUT_MS', '-1'],
      ['SHUTDOWN_TIMEOUT_MS', '1.5'],
      ['METRICS_TOKEN', 'short'],
      ['METRICS_TOKEN', 'has spaces in the middle of it'],
    ] as const) {
      expect(() => loadConfig({ [name]: bad })).toThrow(new RegExp(`${name}: `));
    }
  });

  it('reads the reliability settings: client timeouts, streams per user, SQLite sync', () => {
    expect(
      loadConfig({
        HEADERS_TIMEOUT_MS: '2000',
        REQUEST_TIMEOUT_MS: '4000',
        MAX_STREAMS_PER_USER: '3',
        SQLITE_SYNCHRONOUS: 'full',
      }),
    ).toMatchObject({
      headersTimeoutMs: 2000,
      requestTimeoutMs: 4000,
      maxStreamsPerUser: 3,
      sqliteSynchronous: 'full',
    });
    for (const [name, bad] of [
      ['HEADERS_TIMEOUT_MS', '50'],
      ['REQUEST_TIMEOUT_MS', 'soon'],
      ['MAX_STREAMS_PER_USER', '0'],
      ['SQLITE_SYNCHRONOUS', 'off'],
    ] as const) {
      expect(() => loadConfig({ [name]: bad })).toThrow(new RegExp(`${name}: `));
    }
    // Node cuts a request off at whichever comes first; a longer header deadline is a mistake.
    expect(() => loadConfig({ HEADERS_TIMEOUT_MS: '40000' })).toThrow(
      /HEADERS_TIMEOUT_MS: must not exceed REQUEST_TIMEOUT_MS \(30000\)/,
    );
  });

  it('reads TRUST_PROXY as a flag, a hop count or a list of proxy addresses', () => {
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.1, 192.168.0.0/16,::1' }).trustProxy).toEqual([
      '10.0.0.1',
      '192.168.0.0/16',
      '::1',
    ]);
    expect(() => loadConfig({ TRUST_PROXY: 'yes please' })).toThrow(/TRUST_PROXY: .*yes please/);
    expect(() => loadConfig({ TRUST_PROXY: '10.0.0.0/33' })).toThrow(/TRUST_PROXY/);
  });

  it('configures a sign-in provider only with both client id and secret', () => {
    const config = loadConfig({
      PUBLIC_URL: 'https://trellis.example.com/',
      OAUTH_GITHUB_CLIENT_ID: 'gh-id',
      OAUTH_GITHUB_CLIENT_SECRET: 'gh-secret',
      OIDC_ISSUER: 'https://id.example.com',
      OIDC_CLIENT_ID: 'oidc-id',
      OIDC_CLIENT_SECRET: 'oidc-secret',
    });
    expect(config.publicUrl).toBe('https://trellis.example.com');
    expect(config.oauth).toEqual({
      github: { clientId: 'gh-id', clientSecret: 'gh-secret' },
      google: null,
      oidc: {
        issuer: 'https://id.example.com',
        name: 'Single sign-on',
        clientId: 'oidc-id',
        clientSecret: 'oidc-secret',
      },
    });
    expect(() => loadConfig({ OAUTH_GOOGLE_CLIENT_ID: 'only-the-id' })).toThrow(
      /OAUTH_GOOGLE_CLIENT_SECRET: set both/,
    );
    expect(() => loadConfig({ OIDC_CLIENT_ID: 'a', OIDC_CLIENT_SECRET: 'b' })).toThrow(
      /OIDC_ISSUER/,
    );
  });

  it('reads SMTP_URL (smtp: or smtps:) and MAIL_FROM, and names what is wrong without echoing secrets', () => {
    expect(
      loadConfig({
        SMTP_URL: 'smtps://mailer:s3cret@smtp.example.com:465',
        MAIL_FROM: 'Acme Tasks <tasks@acme.example>',
      }),
    ).toMatchObject({
      smtpUrl: 'smtps://mailer:s3cret@smtp.example.com:465',
      mailFrom: 'Acme Tasks <tasks@acme.example>',
    });
    expect(loadConfig({ SMTP_URL: 'smtp://localhost:1025' }).smtpUrl).toBe('smtp://localhost:1025');
    for (const from of ['tasks@acme.example', '"Acme, Inc." <tasks@acme.example>']) {
      expect(loadConfig({ MAIL_FROM: from }).mailFrom).toBe(from);
    }

    const refused = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
      throw new Error(`accepted ${JSON.stringify(env)}`);
    };
    const wrongScheme = refused({ SMTP_URL: 'https://mailer:s3cret@smtp.example.com' });
    expect(wrongScheme).toMatch(/SMTP_URL: the scheme must be smtp: or smtps:/);
    expect(wrongScheme).not.toContain('s3cret');
    expect(refused({ SMTP_URL: 'not a url' })).toMatch(
      /SMTP_URL: use smtp:\/\/user:pass@host:port/,
    );
    for (const from of [
      'Trellis',
      'Trellis <nobody>',
      'a@b\r\nBcc: victim@example.com',
      'x <a@b> <c@d>',
    ]) {
      expect(refused({ MAIL_FROM: from })).toMatch(/MAIL_FROM: use an address/);
    }
  });
});
