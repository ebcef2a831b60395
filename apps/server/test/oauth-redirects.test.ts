import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';

// GitHub and Google cannot be reached from the test machine: these tests check what the
// server sends the browser to, and what it keeps for the callback. The whole round trip
// is tested against a local OpenID provider in oauth/.

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    publicUrl: 'https://trellis.example.com',
    oauth: {
      github: { clientId: 'gh-client', clientSecret: 'gh-secret' },
      google: { clientId: 'google-client', clientSecret: 'google-secret' },
      oidc: null,
    },
  });
});

afterAll(async () => {
  await server?.close();
});

async function start(provider: string, query = '') {
  const response = await fetch(`${server.url}/auth/oauth/${provider}${query}`, {
    redirect: 'manual',
  });
  const cookie = response.headers.getSetCookie().find((c) => c.startsWith('trellis_oauth='));
  const location = response.headers.get('location');
  return { response, cookie, location: location ? new URL(location) : null };
}

/** The attempt the server stored in its cookie (base64url JSON). */
function attemptIn(cookie: string | undefined): Record<string, string> {
  const value = cookie?.split(';')[0]?.slice('trellis_oauth='.length) ?? '';
  return JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Record<string, string>;
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

describe('GET /auth/oauth', () => {
  it('lists the configured providers', async () => {
    const response = await fetch(`${server.url}/auth/oauth`);
    expect(await response.json()).toEqual({
      providers: [
        { id: 'github', name: 'GitHub', url: '/auth/oauth/github' },
        { id: 'google', name: 'Google', url: '/auth/oauth/google' },
      ],
    });
  });
});

describe.each([
  {
    provider: 'github',
    authorize: 'https://github.com/login/oauth/authorize',
    clientId: 'gh-client',
    scope: 'read:user user:email',
  },
  {
    provider: 'google',
    authorize: 'https://accounts.google.com/o/oauth2/v2/auth',
    clientId: 'google-client',
    scope: 'openid email profile',
  },
])('GET /auth/oauth/$provider', ({ provider, authorize, clientId, scope }) => {
  it('redirects to the provider with state, an S256 PKCE challenge and our callback', async () => {
    const { response, cookie, location } = await start(provider);

    expect(response.status).toBe(302);
    expect(`${location?.origin}${location?.pathname}`).toBe(authorize);
    const params = Object.fromEntries(location?.searchParams ?? []);
    const attempt = attemptIn(cookie);
    expect(params).toMatchObject({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: `https://trellis.example.com/auth/oauth/${provider}/callback`,
      state: attempt.state,
      code_challenge_method: 'S256',
      code_challenge: s256(attempt.codeVerifier ?? ''),
      scope,
    });
    if (provider === 'google') expect(params.nonce).toBe(attempt.nonce);
    // The verifier itself never leaves the server except in the HttpOnly cookie.
    expect(location?.toString()).not.toContain(attempt.codeVerifier);
  });

  it('keeps the attempt in a short-lived HttpOnly cookie scoped to the OAuth routes', async () => {
    const { cookie } = await start(provider);
    const attributes = cookie?.split(';').map((part) => part.trim().toLowerCase()) ?? [];
    expect(attributes).toEqual(
      expect.arrayContaining(['path=/auth/oauth/', 'httponly', 'samesite=lax', 'max-age=600']),
    );
  });

  it('uses fresh secrets for every attempt', async () => {
    const first = attemptIn((await start(provider)).cookie);
    const second = attemptIn((await start(provider)).cookie);
    expect(second.state).not.toBe(first.state);
    expect(second.codeVerifier).not.toBe(first.codeVerifier);
    expect(second.nonce).not.toBe(first.nonce);
  });
});

describe('returnTo', () => {
  it.each([
    ['/projects/1?tab=tasks', '/projects/1?tab=tasks'],
    ['//evil.example.com/', '/'],
    ['/\\evil.example.com', '/'],
    ['https://evil.example.com/', '/'],
    ['', '/'],
  ])('keeps %j as %j', async (returnTo, kept) => {
    const { cookie } = await start('github', `?returnTo=${encodeURIComponent(returnTo)}`);
    expect(attemptIn(cookie).returnTo).toBe(kept);
  });
});

describe('callback without an attempt', () => {
  it('answers 400 with an error page and sets no session', async () => {
    const response = await fetch(`${server.url}/auth/oauth/github/callback?code=abc&state=def`, {
      redirect: 'manual',
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toContain('Sign-in failed');
    const cookies = response.headers.getSetCookie();
    expect(cookies.some((c) => c.startsWith('trellis_session='))).toBe(false);
  });

  it('answers 404 for a provider that is not configured', async () => {
    const response = await fetch(`${server.url}/auth/oauth/oidc`, { redirect: 'manual' });
    expect(response.status).toBe(404);
  });
});
