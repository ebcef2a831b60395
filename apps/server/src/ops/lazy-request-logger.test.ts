import Fastify, { type FastifyBaseLogger } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { lazyRequestLogger } from './lazy-request-logger.js';

// Request loggers are made on first use: a request that logs gets a line bound to its
// request id, exactly as with Fastify's own child loggers; one that does not log makes no
// pino child at all.

const apps: ReturnType<typeof Fastify>[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

function appLoggingAt(level: string) {
  const lines: Record<string, unknown>[] = [];
  let children = 0;
  const app = Fastify({
    logger: { level, stream: { write: (line: string) => lines.push(JSON.parse(line)) } },
    disableRequestLogging: true,
    childLoggerFactory(logger, bindings, options, raw) {
      const counting = Object.create(logger, {
        child: {
          value: (...args: Parameters<FastifyBaseLogger['child']>) => {
            children += 1;
            return logger.child(...args);
          },
        },
      }) as FastifyBaseLogger;
      return lazyRequestLogger.call(this, counting, bindings, options, raw);
    },
  });
  apps.push(app);
  app.get('/quiet', async () => ({ ok: true }));
  app.get('/warns', async (request) => {
    request.log.warn({ detail: 1 }, 'something odd');
    request.log.debug('dropped at warn');
    return { level: request.log.level };
  });
  return { app, lines, children: () => children };
}

describe('lazy request logger', () => {
  it('binds a line to its request id, and honours the level', async () => {
    const { app, lines, children } = appLoggingAt('warn');
    const response = await app.inject({ url: '/warns', headers: { 'x-request-id': 'r-1' } });
    expect(response.json()).toEqual({ level: 'warn' });
    const warning = lines.find((line) => line.msg === 'something odd');
    expect(warning).toMatchObject({ level: 40, detail: 1, reqId: expect.any(String) });
    expect(lines.some((line) => line.msg === 'dropped at warn')).toBe(false);
    expect(children()).toBe(1);
  });

  it('makes no child logger for a request that never logs', async () => {
    const { app, children } = appLoggingAt('warn');
    for (let i = 0; i < 3; i++) expect((await app.inject({ url: '/quiet' })).statusCode).toBe(200);
    expect(children()).toBe(0);
  });
});
