// auth.updateProfile's rate limit: a CONFLICT says whether a handle is taken, so without a
// limit anyone signed in could list the handles in use.
import { DEFAULT_RATE_LIMITS, type RateLimits } from '@trellis/auth';
import { describe, expect, it } from 'vitest';
import { RATE_LIMIT_HEADERS } from '../rate-limit-headers.js';
import { type ApiRateLimits, DEFAULT_API_RATE_LIMITS } from '../rate-limits.js';
import {
  createHarness,
  type Harness,
  harnessForEachTest,
  rejection,
  type TestClock,
} from '../test/harness.js';

let harness: Harness;
let clock: TestClock;
harnessForEachTest(new Date('2026-03-02T10:00:00Z'), (h, c) => {
  harness = h;
  clock = c;
});

const HOUR_MS = 60 * 60 * 1000;

/** A caller acting as `token` whose answers' headers can be read after each call. */
function signedIn(token: string) {
  return harness.caller({ authorization: `Bearer ${token}` });
}

const remainingOf = (headers: Record<string, string>) =>
  headers[RATE_LIMIT_HEADERS.remaining.toLowerCase()];

describe('auth.updateProfile rate limit', () => {
  it('allows 20 changes per account per hour, then TOO_MANY_REQUESTS even for a taken handle', async () => {
    expect(DEFAULT_API_RATE_LIMITS.profileChangesPerUser).toEqual({ limit: 20, windowMs: HOUR_MS });
    const ada = await harness.signUpUser('Ada');
    const bob = await harness.signUpUser('Bob');

    const remaining: (string | undefined)[] = [];
    for (let i = 0; i < 19; i += 1) {
      const { api, headers } = signedIn(ada.token);
      await api.auth.updateProfile({ handle: `ada-${i}` });
      remaining.push(remainingOf(headers));
    }
    // The 20th is a probe of Bob's handle: still answered, as a CONFLICT with the headers.
    const probe = signedIn(ada.token);
    expect((await rejection(probe.api.auth.updateProfile({ handle: bob.user.handle }))).code).toBe(
      'CONFLICT',
    );
    remaining.push(remainingOf(probe.headers));
    expect(remaining).toEqual(Array.from({ length: 20 }, (_, i) => String(19 - i)));

    // Over the limit nothing is looked up: the taken handle is no longer told apart.
    const refused = signedIn(ada.token);
    const error = await rejection(refused.api.auth.updateProfile({ handle: bob.user.handle }));
    expect(error.code).toBe('TOO_MANY_REQUESTS');
    expect(refused.headers[RATE_LIMIT_HEADERS.retryAfter.toLowerCase()]).toBe('3600');
    expect((await rejection(ada.api.auth.updateProfile({ name: 'Ada L.' }))).code).toBe(
      'TOO_MANY_REQUESTS',
    );
    expect((await ada.api.auth.me()).user).toMatchObject({ name: 'Ada', handle: 'ada-18' });

    // Per account: Bob's own limit is untouched; and Ada's window ends after an hour.
    expect(await bob.api.auth.updateProfile({ name: 'Bob B.' })).toMatchObject({ name: 'Bob B.' });
    clock.advance(HOUR_MS);
    expect(await ada.api.auth.updateProfile({ name: 'Ada L.' })).toMatchObject({ name: 'Ada L.' });
  });

  it('does not count input refused as invalid', async () => {
    const ada = await harness.signUpUser('Ada');
    for (let i = 0; i < 25; i += 1) {
      expect((await rejection(ada.api.auth.updateProfile({ handle: '-bad' }))).code).toBe(
        'BAD_REQUEST',
      );
    }
    const { api, headers } = signedIn(ada.token);
    await api.auth.updateProfile({ handle: 'ada' });
    expect(remainingOf(headers)).toBe('19');
  });

  it('follows the deployment’s rule when its rateLimits set one', async () => {
    const rateLimits: RateLimits & ApiRateLimits = {
      ...DEFAULT_RATE_LIMITS,
      profileChangesPerUser: { limit: 2, windowMs: 60_000 },
    };
    const own = await createHarness({ rateLimits });
    try {
      const ada = await own.signUpUser('Ada');
      await ada.api.auth.updateProfile({ name: 'One' });
      await ada.api.auth.updateProfile({ name: 'Two' });
      expect((await rejection(ada.api.auth.updateProfile({ name: 'Three' }))).code).toBe(
        'TOO_MANY_REQUESTS',
      );
    } finally {
      await own.destroy();
    }
  });
});
