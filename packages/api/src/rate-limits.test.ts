import { describe, expect, it } from 'vitest';
import { createContext } from './context.js';
import { RATE_LIMIT_HEADERS } from './rate-limit-headers.js';
import { isRateLimited, RATE_LIMITED_PROCEDURES } from './rate-limits.js';
import { appRouter, createCaller } from './root.js';
import {
  type Harness,
  harnessForEachTest,
  rejection,
  type TestClock,
  testConfig,
  testRequest,
} from './test/harness.js';

// What the RateLimit-* headers say, read from the headers procedures set on their context;
// apps/server/test/rate-limit-headers.test.ts checks them on real HTTP answers.

const PASSWORD = 'correct horse battery staple';
let harness: Harness;
let clock: TestClock;
harnessForEachTest(new Date('2026-03-02T10:00:00Z'), (h, c) => {
  harness = h;
  clock = c;
});

const limitHeaders = (headers: Record<string, string>) => ({
  limit: headers[RATE_LIMIT_HEADERS.limit.toLowerCase()],
  remaining: headers[RATE_LIMIT_HEADERS.remaining.toLowerCase()],
  reset: headers[RATE_LIMIT_HEADERS.reset.toLowerCase()],
  retryAfter: headers[RATE_LIMIT_HEADERS.retryAfter.toLowerCase()],
});

/** One wrong-password sign-in as its own request; the headers its answer carried. */
async function failedSignIn(email: string) {
  const { api, headers } = harness.caller();
  await rejection(api.auth.signIn({ email, password: 'wrong password' }));
  return limitHeaders(headers);
}

describe('RATE_LIMITED_PROCEDURES', () => {
  it('names procedures of the router, and isRateLimited answers for them only', () => {
    for (const path of RATE_LIMITED_PROCEDURES) {
      expect(Object.hasOwn(appRouter._def.procedures, path), path).toBe(true);
      expect(isRateLimited(path)).toBe(true);
    }
    expect(isRateLimited('auth.me')).toBe(false);
    expect(isRateLimited('auth')).toBe(false);
  });
});

describe('RateLimit-* headers', () => {
  it('report the most restrictive counter of a sign-in, counting down to 0, then 429 with Retry-After', async () => {
    const { email } = await harness.signUpUser();
    const seen = [];
    for (let i = 0; i < 10; i += 1) seen.push(await failedSignIn(email));

    // Per account and address: 10 per 10 minutes, the narrowest of sign-in's three.
    expect(seen.map((h) => h.remaining)).toEqual(
      Array.from({ length: 10 }, (_, i) => String(9 - i)),
    );
    for (const h of seen)
      expect(h).toEqual({
        limit: '10',
        remaining: h.remaining,
        reset: '600',
        retryAfter: undefined,
      });

    const { api, headers } = harness.caller();
    const refused = await rejection(api.auth.signIn({ email, password: PASSWORD }));
    expect(refused.code).toBe('TOO_MANY_REQUESTS');
    expect(limitHeaders(headers)).toEqual({
      limit: '10',
      remaining: '0',
      reset: '600',
      retryAfter: '600',
    });
  });

  it('give a successful sign-in its hit back, and start its cleared counter afresh', async () => {
    const { email } = await harness.signUpUser();
    await failedSignIn(email);
    await failedSignIn(email);

    const { api, headers } = harness.caller();
    await api.auth.signIn({ email, password: PASSWORD });

    // The account-and-address counter was cleared (10 left); the address's own has 50 − 2.
    expect(limitHeaders(headers)).toEqual({
      limit: '10',
      remaining: '10',
      reset: '600',
      retryAfter: undefined,
    });
  });

  it('speak for every call of a batch: the fewest attempts left wins', async () => {
    const { email } = await harness.signUpUser();
    await failedSignIn(email);
    const headers: Record<string, string> = {};
    // One context for both calls, as the calls of one HTTP batch share theirs.
    const ctx = createContext({
      db: harness.db,
      config: { ...testConfig, clock: clock.now },
      req: testRequest(),
      setCookie: () => {},
      setHeader: (name, value) => {
        headers[name.toLowerCase()] = value;
      },
    });
    const api = createCaller(() => ctx);

    await rejection(api.auth.signIn({ email, password: 'wrong again' }));
    await api.auth.requestPasswordReset({ email }).catch(() => undefined);
    await api.auth.signUp({ email: 'second@example.com', password: PASSWORD, name: 'Two' });

    // Sign-in's counter (8 of 10 left) is lower than sign-up's (18 of 20) and the mail's.
    expect(limitHeaders(headers)).toMatchObject({ limit: '10', remaining: '8', reset: '600' });
  });

  it('are not set by a procedure without limits', async () => {
    const { token } = await harness.signUpUser();
    const { api, headers } = harness.caller({ authorization: `Bearer ${token}` });
    await api.auth.me();
    await api.workspaces.list();
    expect(headers).toEqual({});
  });
});
