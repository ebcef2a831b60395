// The account's mail over real HTTP, with the real SMTP server each test server owns:
// the limits on mails and on current-password checks (429 with Retry-After).

import { DEFAULT_RATE_LIMITS, type RateLimits } from '@trellis/auth';
import { describe, expect, it } from 'vitest';
import {
  call,
  HOUR_MS,
  mailedToken,
  mailServers,
  NEW_PASSWORD,
  signIn,
  signUp,
  subjects,
} from '../support/mail-accounts.js';
import { dataOf, expectError, PASSWORD, type Reply } from '../support/wire.js';

const { start, advance } = mailServers();

describe('rate limits', () => {
  const limits: RateLimits = DEFAULT_RATE_LIMITS;

  it('limits reset mails per email and per client address with 429 and Retry-After', async () => {
    const server = await start({ rateLimits: limits });
    const email = `target-${Date.now()}@example.com`;
    const perEmail: Reply[] = [];
    for (let i = 0; i < 6; i += 1)
      perEmail.push(await call(server, 'auth.requestPasswordReset', { email }));
    expect(perEmail.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 429]);
    const limited = perEmail[5] as Reply;
    expectError(limited, 429, 'TOO_MANY_REQUESTS');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(3600);

    advance(HOUR_MS);
    expect((await call(server, 'auth.requestPasswordReset', { email })).status).toBe(200);

    // 20 per address, whatever the emails (a fresh server: nothing counted yet).
    const fresh = await start({ rateLimits: limits });
    const others: number[] = [];
    for (let i = 0; i < 21; i += 1) {
      others.push(
        (
          await call(fresh, 'auth.requestPasswordReset', {
            email: `other${i}-${Date.now()}@example.com`,
          })
        ).status,
      );
    }
    expect(others).toEqual([...Array(20).fill(200), 429]);
  });

  it('lets the owner sign in right after a password reset, whatever failures were counted before', async () => {
    const server = await start({ rateLimits: limits });
    const person = await signUp(server);
    const failures: number[] = [];
    for (let i = 0; i < 11; i += 1) {
      failures.push((await signIn(server, person.email, `guess ${i}`)).status);
    }
    expect(failures).toEqual([...Array(10).fill(401), 429]);
    dataOf(await call(server, 'auth.requestPasswordReset', { email: person.email }));
    const token = await mailedToken(server, person.email, subjects.reset);
    dataOf(await call(server, 'auth.resetPassword', { token, newPassword: NEW_PASSWORD }));
    expect((await signIn(server, person.email, NEW_PASSWORD)).status).toBe(200);
  });

  it('limits verification mails per account and current-password checks per account', async () => {
    const server = await start({ rateLimits: limits });
    const person = await signUp(server);
    const resends: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      resends.push(
        (await call(server, 'auth.resendVerification', {}, { token: person.token })).status,
      );
    }
    expect(resends).toEqual([200, 200, 200, 200, 200, 429]);

    const checks: Reply[] = [];
    for (let i = 0; i < 11; i += 1) {
      checks.push(
        await call(
          server,
          'auth.changePassword',
          { currentPassword: `wrong ${i}`, newPassword: NEW_PASSWORD },
          { token: person.token },
        ),
      );
    }
    expect(checks.map((a) => a.status)).toEqual([...Array(10).fill(400), 429]);
    // Even the right password waits for the window now.
    const right = await call(
      server,
      'auth.changePassword',
      { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
      { token: person.token },
    );
    expectError(right, 429, 'TOO_MANY_REQUESTS');
    expect(right.headers.get('retry-after')).toMatch(/^\d+$/);
    advance(10 * 60 * 1000);
    expect(
      dataOf(
        await call(
          server,
          'auth.changePassword',
          { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
          { token: person.token },
        ),
      ),
    ).toEqual({ revoked: 0 });
  });
});
