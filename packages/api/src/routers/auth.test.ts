import { DEFAULT_SESSION_POLICY } from '@trellis/auth';
import { TRPCError } from '@trpc/server';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { fieldErrorsOf } from '../errors.js';
import { createHarness, type Harness, rejection } from '../test/harness.js';

const PASSWORD = 'correct horse battery staple';
const OWN_ORIGIN = { origin: 'http://localhost:3000', host: 'localhost:3000' } as const;
const CLEARED_COOKIE = 'trellis_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0';

let harness: Harness;

beforeEach(async () => {
  harness = await createHarness();
});

afterEach(async () => {
  await harness.destroy();
});

/** Signs in once more as `email`, returning the new session token. */
async function signInAgain(email: string): Promise<string> {
  const { session } = await harness.caller().api.auth.signIn({ email, password: PASSWORD });
  return session.token;
}

/** Whether a token still authenticates `auth.me`. */
async function tokenWorks(token: string): Promise<boolean> {
  return harness
    .as(token)
    .auth.me()
    .then(
      () => true,
      (error: unknown) => {
        if (error instanceof TRPCError && error.code === 'UNAUTHORIZED') return false;
        throw error;
      },
    );
}

describe('auth.signUp', () => {
  it('leaves no account behind when its session cannot be stored (one transaction)', async () => {
    await sql`drop table sessions`.execute(harness.db);

    const error = await rejection(
      harness
        .caller()
        .api.auth.signUp({ email: 'ada@example.com', password: PASSWORD, name: 'Ada' }),
    );

    expect(error.code).toBe('INTERNAL_SERVER_ERROR');
    expect(await harness.db.selectFrom('users').select('id').execute()).toEqual([]);
  });

  it('creates the user with a lowercased email, starts a session and sets the cookie', async () => {
    const { api, setCookies } = harness.caller();
    const before = Date.now();

    const result = await api.auth.signUp({
      email: 'Grace.Hopper@Example.COM',
      password: PASSWORD,
      name: '  Grace Hopper ',
    });

    const after = Date.now();
    expect(result.user).toEqual({
      id: expect.any(String),
      email: 'grace.hopper@example.com',
      name: 'Grace Hopper',
      handle: 'grace-hopper',
    });
    expect(result.session.token).toMatch(/^[a-z2-9]{24}\.[a-z2-9]{32}$/);
    // A fresh session lives for the inactivity window (10 days), which slides on use up
    // to the absolute limit (30 days); see DEFAULT_SESSION_POLICY.
    const expiresAt = Date.parse(result.session.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + DEFAULT_SESSION_POLICY.inactivityMs);
    expect(expiresAt).toBeLessThanOrEqual(after + DEFAULT_SESSION_POLICY.inactivityMs);
    expect(expiresAt).toBeLessThanOrEqual(before + DEFAULT_SESSION_POLICY.absoluteMs);

    expect(setCookies).toHaveLength(1);
    const cookie = setCookies[0] ?? '';
    const attributes = cookie.split('; ');
    expect(attributes[0]).toBe(`trellis_session=${result.session.token}`);
    expect(attributes).toContain('HttpOnly');
    expect(attributes).toContain('SameSite=Lax');
    expect(attributes).toContain('Path=/');
    expect(attributes).not.toContain('Secure');
    // The cookie lives as long as the session could; the server enforces inactivity.
    expect(attributes).toContain(`Max-Age=${DEFAULT_SESSION_POLICY.absoluteMs / 1000}`);
  });

  it('starts a session that authenticates auth.me', async () => {
    const { user, token } = await harness.signUpUser('Ada Lovelace', { verified: false });

    const me = await harness.as(token).auth.me();

    // Without a mailer (this harness) nothing proves the email: it stays unverified.
    expect(me).toEqual({
      user: { ...user, emailVerified: false, hasPassword: true },
      workspaces: [],
    });
  });

  it('refuses an email that is taken in another letter case', async () => {
    const { email } = await harness.signUpUser();

    const error = await rejection(
      harness
        .caller()
        .api.auth.signUp({ email: email.toUpperCase(), password: PASSWORD, name: 'Twin' }),
    );

    expect(error.code).toBe('CONFLICT');
    expect(error.message).toBe('An account with this email already exists');
    const users = await harness.db.selectFrom('users').select('email').execute();
    expect(users).toEqual([{ email }]);
  });

  it('refuses a 9-character password, naming the password field', async () => {
    const error = await rejection(
      harness
        .caller()
        .api.auth.signUp({ email: 'a@example.com', password: '123456789', name: 'A' }),
    );

    expect(error.code).toBe('BAD_REQUEST');
    expect(error.cause).toBeInstanceOf(ZodError);
    expect(Object.keys(fieldErrorsOf(error.cause) ?? {})).toEqual(['password']);
    expect(await harness.db.selectFrom('users').select('id').execute()).toEqual([]);
  });

  it('accepts a 10-character password, the contract minimum', async () => {
    const { user } = await harness
      .caller()
      .api.auth.signUp({ email: 'b@example.com', password: '1234567890', name: 'B' });

    expect(user.email).toBe('b@example.com');
  });

  it('refuses a 257-character password rather than truncating it', async () => {
    const error = await rejection(
      harness
        .caller()
        .api.auth.signUp({ email: 'a@example.com', password: 'x'.repeat(257), name: 'A' }),
    );

    expect(error.code).toBe('BAD_REQUEST');
    expect(Object.keys(fieldErrorsOf(error.cause) ?? {})).toEqual(['password']);
  });

  it('refuses an unknown input key, naming it', async () => {
    const input = { email: 'a@example.com', password: PASSWORD, name: 'A', isAdmin: true };

    const error = await rejection(harness.caller().api.auth.signUp(input));

    expect(error.code).toBe('BAD_REQUEST');
    expect(fieldErrorsOf(error.cause)).toEqual({ isAdmin: ['Unrecognized key'] });
    expect(await harness.db.selectFrom('users').select('id').execute()).toEqual([]);
  });

  it('refuses a malformed email, naming the email field', async () => {
    const error = await rejection(
      harness.caller().api.auth.signUp({ email: 'not-an-email', password: PASSWORD, name: 'A' }),
    );

    expect(error.code).toBe('BAD_REQUEST');
    expect(Object.keys(fieldErrorsOf(error.cause) ?? {})).toEqual(['email']);
  });
});

describe('auth.signIn', () => {
  it('starts a new session with a token different from the sign-up one', async () => {
    const { user, token: signUpToken, email } = await harness.signUpUser();
    const { api, setCookies } = harness.caller();

    const result = await api.auth.signIn({ email: email.toUpperCase(), password: PASSWORD });

    expect(result.user).toEqual(user);
    expect(result.session.token).not.toBe(signUpToken);
    expect(setCookies).toHaveLength(2);
    expect(setCookies[0]).toMatch(new RegExp(`^trellis_session=${result.session.token}; `));
    // The device cookie: this device is trusted from now on (see apps/server's rate-limit.test).
    expect(result.deviceToken).toMatch(/^trd_/);
    expect(setCookies[1]).toMatch(new RegExp(`^trellis_device=${result.deviceToken}; `));
    expect(await tokenWorks(result.session.token)).toBe(true);
    expect(await tokenWorks(signUpToken)).toBe(true);
  });

  it('gives a wrong password and an unknown email the same UNAUTHORIZED answer', async () => {
    const { email } = await harness.signUpUser();

    const wrongPassword = await rejection(
      harness.caller().api.auth.signIn({ email, password: 'not the password' }),
    );
    const unknownEmail = await rejection(
      harness.caller().api.auth.signIn({ email: 'nobody@example.com', password: PASSWORD }),
    );

    expect(wrongPassword.code).toBe('UNAUTHORIZED');
    expect(unknownEmail.code).toBe('UNAUTHORIZED');
    expect(unknownEmail.message).toBe(wrongPassword.message);
    const sessions = await harness.db.selectFrom('sessions').select('id').execute();
    expect(sessions).toHaveLength(1); // only the sign-up session
  });
});

describe('auth.signOut', () => {
  it('kills the calling token at once but leaves the same user’s other sessions alive', async () => {
    const { token, email } = await harness.signUpUser();
    const otherToken = await signInAgain(email);
    const { api, setCookies } = harness.caller({ authorization: `Bearer ${token}` });

    expect(await api.auth.signOut({})).toEqual({ ok: true });

    expect(setCookies).toEqual([CLEARED_COOKIE]);
    const error = await rejection(harness.as(token).auth.me());
    expect(error.code).toBe('UNAUTHORIZED');
    expect(await tokenWorks(otherToken)).toBe(true);
  });
});

describe('auth.signOutEverywhere', () => {
  it('revokes every session of the caller and reports how many', async () => {
    const ada = await harness.signUpUser('Ada');
    const tokens = [ada.token, await signInAgain(ada.email), await signInAgain(ada.email)];
    const grace = await harness.signUpUser('Grace');

    const result = await ada.api.auth.signOutEverywhere({});

    expect(result).toEqual({ revoked: 3 });
    for (const token of tokens) expect(await tokenWorks(token)).toBe(false);
    expect(await tokenWorks(grace.token)).toBe(true);
  });
});

describe('auth.me', () => {
  it('returns the user and each workspace they belong to with their role there', async () => {
    const ada = await harness.signUpUser('Ada');
    const grace = await harness.signUpUser('Grace');
    const own = await ada.api.workspaces.create({ name: 'Analytical', slug: 'analytical' });
    const shared = await grace.api.workspaces.create({ name: 'Compilers', slug: 'compilers' });
    await harness.db
      .insertInto('memberships')
      .values({
        workspace_id: shared.id,
        user_id: ada.user.id,
        role: 'admin',
        created_at: new Date(Date.now() + 1000).toISOString(),
      })
      .execute();

    const me = await ada.api.auth.me();

    expect(me).toEqual({
      user: { ...ada.user, emailVerified: true, hasPassword: true },
      workspaces: [
        { id: own.id, name: 'Analytical', slug: 'analytical', role: 'owner' },
        { id: shared.id, name: 'Compilers', slug: 'compilers', role: 'admin' },
      ],
    });
  });

  it('is UNAUTHORIZED without credentials', async () => {
    const error = await rejection(harness.caller().api.auth.me());

    expect(error.code).toBe('UNAUTHORIZED');
  });
});

describe('auth.sessions', () => {
  it('lists only the caller’s sessions, marking the calling one current, with no secrets', async () => {
    const ada = await harness.signUpUser('Ada');
    const secondToken = await signInAgain(ada.email);
    const grace = await harness.signUpUser('Grace');
    const graceSessions = await grace.api.auth.sessions.list();

    const sessions = await harness.as(secondToken).auth.sessions.list();

    expect(graceSessions).toHaveLength(1);
    expect(sessions).toHaveLength(2);
    expect(sessions.filter((s) => s.current).map((s) => s.id)).toEqual([secondToken.split('.')[0]]);
    expect(sessions.map((s) => s.id)).toContain(ada.token.split('.')[0]);
    expect(sessions.map((s) => s.id)).not.toContain(graceSessions[0]?.id);
    for (const session of sessions) {
      expect(Object.keys(session).sort()).toEqual([
        'createdAt',
        'current',
        'expiresAt',
        'id',
        'ip',
        'lastVerifiedAt',
        'userAgent',
      ]);
      expect(session).toMatchObject({ ip: '127.0.0.1', userAgent: 'vitest' });
    }
    const serialized = JSON.stringify(sessions);
    expect(serialized).not.toContain(ada.token.split('.')[1]);
    expect(serialized).not.toContain(secondToken.split('.')[1]);
  });

  it('answers NOT_FOUND when revoking another user’s session, which keeps working', async () => {
    const ada = await harness.signUpUser('Ada');
    const grace = await harness.signUpUser('Grace');
    const [graceSession] = await grace.api.auth.sessions.list();

    const error = await rejection(
      ada.api.auth.sessions.revoke({ sessionId: graceSession?.id ?? '' }),
    );

    expect(error.code).toBe('NOT_FOUND');
    expect(await tokenWorks(grace.token)).toBe(true);
  });

  it('revokes the caller’s own other session without touching the calling one', async () => {
    const ada = await harness.signUpUser('Ada');
    const laptopToken = await signInAgain(ada.email);
    const laptop = (await ada.api.auth.sessions.list()).find((s) => !s.current);
    const { api, setCookies } = harness.caller({ authorization: `Bearer ${ada.token}` });

    expect(await api.auth.sessions.revoke({ sessionId: laptop?.id ?? '' })).toEqual({ ok: true });

    expect(setCookies).toEqual([]);
    expect(await tokenWorks(laptopToken)).toBe(false);
    expect(await tokenWorks(ada.token)).toBe(true);
    expect((await ada.api.auth.sessions.list()).map((s) => s.current)).toEqual([true]);
  });

  it('revokes the calling session itself, clearing its cookie', async () => {
    const ada = await harness.signUpUser('Ada');
    const [current] = await ada.api.auth.sessions.list();
    const { api, setCookies } = harness.caller({ authorization: `Bearer ${ada.token}` });

    expect(await api.auth.sessions.revoke({ sessionId: current?.id ?? '' })).toEqual({ ok: true });

    expect(setCookies).toEqual([CLEARED_COOKIE]);
    expect(await tokenWorks(ada.token)).toBe(false);
  });
});

describe('cookie authentication and the same-origin rule', () => {
  /** A browser request carrying `token` in the session cookie, plus other headers. */
  function browser(token: string, headers: { origin?: string; secFetchSite?: string } = {}) {
    return harness.caller({
      cookie: `theme=dark; trellis_session=${token}`,
      host: 'localhost:3000',
      ...headers,
    });
  }

  async function workspaceCount(): Promise<number> {
    return (await harness.db.selectFrom('workspaces').select('id').execute()).length;
  }

  it('accepts a cookie-authenticated mutation from our own origin', async () => {
    const { token, user } = await harness.signUpUser();

    const workspace = await browser(token, OWN_ORIGIN).api.workspaces.create({
      name: 'Cookie Co',
      slug: 'cookie-co',
    });

    expect(workspace.role).toBe('owner');
    const membership = await harness.db
      .selectFrom('memberships')
      .select(['user_id', 'role'])
      .where('workspace_id', '=', workspace.id)
      .execute();
    expect(membership).toEqual([{ user_id: user.id, role: 'owner' }]);
  });

  it.each([
    ['a foreign origin', { origin: 'https://evil.example' }],
    ['no origin at all', {}],
    ['Sec-Fetch-Site: cross-site', { ...OWN_ORIGIN, secFetchSite: 'cross-site' }],
    ['Sec-Fetch-Site: cross-site and no origin', { secFetchSite: 'cross-site' }],
    ['the opaque "null" origin', { origin: 'null' }],
  ])('refuses a cookie-authenticated mutation with %s', async (_, headers) => {
    const { token } = await harness.signUpUser();

    const error = await rejection(
      browser(token, headers).api.workspaces.create({ name: 'Evil', slug: 'evil' }),
    );

    expect(error.code).toBe('FORBIDDEN');
    expect(await workspaceCount()).toBe(0);
  });

  it('refuses a cross-site sign-out, which leaves the session alive', async () => {
    const { token } = await harness.signUpUser();

    const error = await rejection(
      browser(token, { origin: 'https://evil.example' }).api.auth.signOut({}),
    );

    expect(error.code).toBe('FORBIDDEN');
    expect(await tokenWorks(token)).toBe(true);
  });

  it('serves cookie-authenticated queries without an origin', async () => {
    const { token, user } = await harness.signUpUser();

    const me = await browser(token).api.auth.me();

    expect(me.user).toMatchObject(user);
  });

  it('accepts bearer-authenticated mutations without an origin', async () => {
    const { token } = await harness.signUpUser();

    const workspace = await harness.as(token).workspaces.create({ name: 'Script', slug: 'script' });

    expect(workspace.slug).toBe('script');
    expect(await workspaceCount()).toBe(1);
  });

  it('refuses a public mutation (signIn) from a foreign origin', async () => {
    const { email } = await harness.signUpUser();
    const { api, setCookies } = harness.caller({ origin: 'https://evil.example' });

    const error = await rejection(api.auth.signIn({ email, password: PASSWORD }));

    expect(error.code).toBe('FORBIDDEN');
    expect(setCookies).toEqual([]);
  });

  it('accepts a public mutation (signIn) from our own origin', async () => {
    const { email } = await harness.signUpUser();

    const result = await harness.caller(OWN_ORIGIN).api.auth.signIn({ email, password: PASSWORD });

    expect(result.user.email).toBe(email);
  });

  it.each([
    ['a malformed token', 'not-a-session-token'],
    ['a well-formed unknown token', `${'a'.repeat(24)}.${'b'.repeat(32)}`],
  ])('answers %s in the cookie with UNAUTHORIZED and clears the cookie', async (_, token) => {
    const { api, setCookies } = browser(token);

    const error = await rejection(api.auth.me());

    expect(error.code).toBe('UNAUTHORIZED');
    expect(setCookies).toEqual([CLEARED_COOKIE]);
  });

  it('clears the cookie of a signed-out session on its next protected mutation', async () => {
    const { token, api } = await harness.signUpUser();
    await api.auth.signOut({});
    const { api: stale, setCookies } = browser(token, OWN_ORIGIN);

    const error = await rejection(stale.workspaces.create({ name: 'Late', slug: 'late' }));

    expect(error.code).toBe('UNAUTHORIZED');
    expect(setCookies).toEqual([CLEARED_COOKIE]);
  });

  it('answers an invalid bearer token with UNAUTHORIZED and sets no cookie', async () => {
    const { api, setCookies } = harness.caller({ authorization: 'Bearer not-a-session-token' });

    const error = await rejection(api.auth.me());

    expect(error.code).toBe('UNAUTHORIZED');
    expect(setCookies).toEqual([]);
  });
});
