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
      sessionSweepIntervalMs: 60 * 60 * 1000,
    });
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

  it('names every invalid variable in one error', () => {
    const load = () =>
      loadConfig({ PORT: '70000', TRUSTED_ORIGINS: 'not a url', LOG_LEVEL: 'loud' });

    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/PORT: .*\n.*LOG_LEVEL: .*\n.*TRUSTED_ORIGINS/s);
  });
});
