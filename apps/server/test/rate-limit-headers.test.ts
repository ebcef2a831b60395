import { RATE_LIMIT_HEADERS, RATE_LIMITED_PROCEDURES } from '@trellis/api';
import { DEFAULT_RATE_LIMITS } from '@trellis/auth';
import { describe, expect, it } from 'vitest';
import { accountsOn } from './support/accounts.js';
import { serveThisFile } from './support/http.js';
import { PASSWORD, type Reply } from './support/wire.js';

// The RateLimit-Limit / -Remaining / -Reset headers (draft-ietf-httpapi-ratelimit-headers-06)
// on real answers, over /trpc and REST. Each test signs in from its own client address
// (X-Forwarded-For behind a trusted proxy), so no test spends another's per-address limits.

const wire = serveThisFile({ rateLimits: DEFAULT_RATE_LIMITS, trustProxy: ['127.0.0.1'] });
const { mutate, query, send } = wire;
const { signUp, createWorkspace } = accountsOn(wire);

let lastAddress = 0;
/** A client address no other test used. */
function freshAddress(): Record<string, string> {
  lastAddress += 1;
  return { 'x-forwarded-for': `198.51.100.${lastAddress}` };
}

/** The four headers of an answer, as sent (null when absent). */
function limitHeaders(reply: Reply) {
  return {
    limit: reply.headers.get(RATE_LIMIT_HEADERS.limit),
    remaining: reply.headers.get(RATE_LIMIT_HEADERS.remaining),
    reset: reply.headers.get(RATE_LIMIT_HEADERS.reset),
    retryAfter: reply.headers.get(RATE_LIMIT_HEADERS.retryAfter),
  };
}

const NONE = { limit: null, remaining: null, reset: null, retryAfter: null };

/** `RateLimit-Remaining` over successive attempts: `from`, `from - 1`, …, `'0'`. */
const countdown = (from: number) => Array.from({ length: from + 1 }, (_, i) => String(from - i));

function restSignIn(email: string, password: string, headers: Record<string, string>) {
  return send('/api/v1/auth/sign-in', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ email, password }),
  });
}

describe('over /trpc', () => {
  it('count down over failed sign-ins; the 429 carries them with Retry-After', async () => {
    const { email } = await signUp('countdown');
    const from = freshAddress();
    const answers: Reply[] = [];
    for (let i = 0; i < 11; i += 1) {
      answers.push(await mutate('auth.signIn', { email, password: 'wrong' }, { headers: from }));
    }

    expect(answers.map((a) => a.status)).toEqual([...Array<number>(10).fill(401), 429]);
    const headers = answers.map(limitHeaders);
    // The narrowest of sign-in's counters: per account and address, 10 per 10 minutes.
    expect(headers.map((h) => h.remaining)).toEqual([...countdown(9), '0']);
    for (const h of headers.slice(0, 10)) {
      expect(h).toMatchObject({ limit: '10', retryAfter: null });
      expect(Number(h.reset)).toBeGreaterThan(0);
      expect(Number(h.reset)).toBeLessThanOrEqual(600);
    }
    const refused = headers[10];
    expect(refused).toMatchObject({ limit: '10', remaining: '0' });
    expect(Number(refused?.retryAfter)).toBeGreaterThan(0);
    expect(refused?.reset).toBe(refused?.retryAfter);
  });

  it('give a batch the most restrictive counter of all its calls', async () => {
    const { email } = await signUp('batch');
    const input = {
      0: { email, password: 'wrong' },
      1: { email: `batch-${process.pid}@example.com`, password: PASSWORD, name: 'Batch' },
    };
    const reply = await send('/trpc/auth.signIn,auth.signUp?batch=1', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...freshAddress() },
      body: JSON.stringify(input),
    });

    expect(reply.status).toBe(207);
    // Sign-in has 9 of 10 left, sign-up 19 of 20 (per hour): the answer speaks for sign-in.
    expect(limitHeaders(reply)).toEqual({
      limit: '10',
      remaining: '9',
      reset: '600',
      retryAfter: null,
    });
  });

  it('are absent from procedures without limits, and from answers refused before counting', async () => {
    const { token } = await signUp('unlimited');
    expect(limitHeaders(await query('auth.me', undefined, { token }))).toEqual(NONE);
    expect(limitHeaders(await query('workspaces.list', undefined, { token }))).toEqual(NONE);
    // Invalid input is refused before any counter is touched.
    const invalid = await mutate('auth.signIn', { email: 'not an email', password: 'x' });
    expect(invalid.status).toBe(400);
    expect(limitHeaders(invalid)).toEqual(NONE);
  });
});

describe('over REST', () => {
  it('count down on /api/v1 too, to a 429 with Retry-After', async () => {
    const { email } = await signUp('rest');
    const from = freshAddress();
    const answers: Reply[] = [];
    for (let i = 0; i < 11; i += 1) answers.push(await restSignIn(email, 'wrong', from));

    expect(answers.map((a) => a.status)).toEqual([...Array<number>(10).fill(401), 429]);
    expect(answers.map((a) => limitHeaders(a).remaining)).toEqual([...countdown(9), '0']);
    const refused = limitHeaders(answers[10] as Reply);
    expect(refused.limit).toBe('10');
    expect(refused.reset).toBe(refused.retryAfter);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
  });

  it('are absent from a route without limits', async () => {
    const { token } = await signUp('rest-unlimited');
    const me = await send('/api/v1/me', { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(limitHeaders(me)).toEqual(NONE);
  });
});

type LimitedProcedure = (typeof RATE_LIMITED_PROCEDURES)[number];

/**
 * One call of each rate-limited procedure, from a fresh address, and what its headers must
 * say: the limit with the fewest attempts left after it (the defaults of README's table).
 * Typed by the list, so a procedure added to it without a case here fails the type check.
 */
const FIRST_CALLS: Record<
  LimitedProcedure,
  () => Promise<{ reply: Reply; expected: { limit: string; remaining: string; reset: string } }>
> = {
  'auth.signUp': async () => ({
    reply: await mutate(
      'auth.signUp',
      { email: `first-${process.pid}@example.com`, password: PASSWORD, name: 'First' },
      { headers: freshAddress() },
    ),
    expected: { limit: '20', remaining: '19', reset: '3600' },
  }),
  'auth.signIn': async () => {
    const { email } = await signUp('first-sign-in');
    return {
      reply: await mutate('auth.signIn', { email, password: 'wrong' }, { headers: freshAddress() }),
      expected: { limit: '10', remaining: '9', reset: '600' },
    };
  },
  'auth.resendVerification': async () => {
    const { token } = await signUp('first-resend');
    return {
      reply: await mutate('auth.resendVerification', {}, { token }),
      expected: { limit: '5', remaining: '4', reset: '3600' },
    };
  },
  'auth.requestPasswordReset': async () => {
    const { email } = await signUp('first-reset');
    return {
      reply: await mutate('auth.requestPasswordReset', { email }, { headers: freshAddress() }),
      // Per email address: 5 an hour (per client address: 20).
      expected: { limit: '5', remaining: '4', reset: '3600' },
    };
  },
  'auth.changePassword': async () => {
    const { token } = await signUp('first-password');
    const input = { currentPassword: 'not my password', newPassword: 'another good password' };
    return {
      reply: await mutate('auth.changePassword', input, { token }),
      expected: { limit: '10', remaining: '9', reset: '600' },
    };
  },
  'auth.changeEmail': async () => {
    const { token } = await signUp('first-email');
    const input = { newEmail: `moved-${process.pid}@example.com`, currentPassword: PASSWORD };
    return {
      reply: await mutate('auth.changeEmail', input, { token }),
      // The right password took its check back (10 of 10); the mail counts (4 of 5 left).
      expected: { limit: '5', remaining: '4', reset: '3600' },
    };
  },
  'members.invite': async () => {
    const owner = await signUp('first-invite');
    const { id: workspaceId } = await createWorkspace(owner.token);
    const input = { workspaceId, email: `guest-${process.pid}@example.com`, role: 'member' };
    return {
      reply: await mutate('members.invite', input, { token: owner.token }),
      expected: { limit: '100', remaining: '99', reset: '3600' },
    };
  },
  'auth.updateProfile': async () => {
    const { token } = await signUp('first-profile');
    return {
      reply: await mutate('auth.updateProfile', { name: 'Renamed' }, { token }),
      expected: { limit: '20', remaining: '19', reset: '3600' },
    };
  },
};

describe('every rate-limited procedure', () => {
  it.each(RATE_LIMITED_PROCEDURES.map((path) => [path]))(
    '%s answers with the headers',
    async (path) => {
      const { reply, expected } = await FIRST_CALLS[path]();
      expect(reply.status, reply.text.slice(0, 300)).toBeLessThan(500);
      expect(limitHeaders(reply)).toEqual({ ...expected, retryAfter: null });
    },
  );
});
