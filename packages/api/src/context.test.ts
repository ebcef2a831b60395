import { createTestDatabase } from '@trellis/db/testing';
import { describe, expect, it } from 'vitest';
import { createContext } from './context.js';
import { testConfig, testRequest } from './test/harness.js';

describe('createContext', () => {
  it('computes each once() key a single time per request, so a batch shares the work', async () => {
    const { db, destroy } = await createTestDatabase();
    const ctx = createContext({
      db,
      config: testConfig,
      req: testRequest(),
      setCookie: () => undefined,
      setHeader: () => undefined,
    });
    let computed = 0;
    const compute = async () => {
      computed += 1;
      return { user: 'ada' };
    };

    const results = await Promise.all([
      ctx.once('principal', compute),
      ctx.once('principal', compute),
    ]);
    const other = await ctx.once('another key', compute);

    expect(computed).toBe(2);
    expect(results[0]).toBe(results[1]);
    expect(other).not.toBe(results[0]);
    await destroy();
  });

  it('starts every request with nothing remembered', async () => {
    const { db, destroy } = await createTestDatabase();
    const make = () =>
      createContext({
        db,
        config: testConfig,
        req: testRequest(),
        setCookie: () => undefined,
        setHeader: () => undefined,
      });
    let computed = 0;
    const compute = async () => {
      computed += 1;
      return computed;
    };

    expect(await make().once('principal', compute)).toBe(1);
    expect(await make().once('principal', compute)).toBe(2);
    await destroy();
  });
});
