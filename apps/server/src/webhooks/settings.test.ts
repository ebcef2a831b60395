import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { webhookSettings } from './settings.js';

describe('webhookSettings', () => {
  it('passes the retry rules on and checks URLs by NODE_ENV and WEBHOOK_ALLOW_PRIVATE', async () => {
    const development = webhookSettings(loadConfig({ WEBHOOK_RETRY_SCHEDULE: '1s,2m' }));
    const production = webhookSettings(loadConfig({ NODE_ENV: 'production' }));
    const onPremise = webhookSettings(loadConfig({ WEBHOOK_ALLOW_PRIVATE: 'true' }));
    try {
      expect(development).toMatchObject({ retrySchedule: [1000, 120_000] });
      expect(production.retryWindowMs).toBe(3 * 24 * 60 * 60 * 1000);

      expect(await development.checkUrl('http://8.8.8.8/in')).toBeUndefined();
      expect(await development.checkUrl('http://127.0.0.1/in')).toMatch(/^points at a loopback/);
      expect(await production.checkUrl('http://8.8.8.8/in')).toMatch(/must start with https:\/\//);
      expect(await production.checkUrl('https://8.8.8.8/in')).toBeUndefined();
      expect(await onPremise.checkUrl('http://localhost:9/in')).toBeUndefined();
      expect(
        (await production.send({ url: 'http://8.8.8.8/', headers: {}, body: '{}' })).error,
      ).toBe('refused: URL must start with https:// (the server runs in production)');
    } finally {
      for (const settings of [development, production, onPremise]) settings.close();
    }
  });
});
