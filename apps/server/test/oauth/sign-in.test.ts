// OpenID Connect sign-in end to end (../support/oidc-sign-in.ts: a real server, a real
// provider, a tiny browser walking every hop): the round trip: the redirect dance,
// the same account again, a fresh attempt each time, and where it returns to.
import { describe, expect, it } from 'vitest';
import { Browser, setCookieFor } from '../support/browser.js';
import {
  base64urlSha256,
  CALLBACK_PATH,
  CLIENT_ID,
  expectErrorPage,
  oidcAccount,
  oidcSignInFile,
  parseAttempt,
} from '../support/oidc-sign-in.js';
import { isRecord } from '../support/wire.js';

/** Provider accounts, one per scenario, so tests do not see each other's users. */
const ACCOUNTS = {
  roundTrip: oidcAccount('round-trip', 'Grace Hopper'),
  again: oidcAccount('again', 'Alan Turing'),
};

const oidc = oidcSignInFile(Object.values(ACCOUNTS));
const { signIn, attemptIn, me, usersWithEmail, linksFor, route } = oidc;

describe('OpenID Connect sign-in against a real provider', () => {
  it('lists the configured provider', async () => {
    const response = await fetch(`${oidc.server.url}/auth/oauth`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      providers: [{ id: 'oidc', name: 'Test SSO', url: '/auth/oauth/oidc' }],
    });
  });

  it('signs a new user in through the full redirect dance', async () => {
    const who = ACCOUNTS.roundTrip;
    const browser = new Browser();
    const { start, callbackUrl, prompts, callback } = await signIn(browser, who);

    // Hop 1: our server sends the browser to the discovered authorization endpoint.
    const discovery = await fetch(`${oidc.provider.issuer}/.well-known/openid-configuration`);
    const metadata: unknown = await discovery.json();
    if (!isRecord(metadata)) throw new Error('no discovery document');
    const authorize = start.location;
    if (!authorize) throw new Error('no redirect to the provider');
    expect(`${authorize.origin}${authorize.pathname}`).toBe(metadata.authorization_endpoint);
    expect(start.cacheControl).toBe('no-store');
    const attemptCookie = setCookieFor(start, 'trellis_oauth') ?? '';
    expect(attemptCookie.split('; ').slice(1)).toEqual([
      'Path=/auth/oauth/',
      'HttpOnly',
      'SameSite=Lax',
      'Max-Age=600',
    ]);

    // ...with PKCE (S256), state and nonce from the attempt the cookie remembers. (The
    // cookie is gone after the callback, so it is read from the first hop's header.)
    const attempt = parseAttempt(attemptCookie.split(';')[0]?.split('=')[1] ?? '');
    expect(attempt).toMatchObject({ provider: 'oidc', returnTo: '/after' });
    const params = Object.fromEntries(authorize.searchParams);
    expect(params).toEqual({
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: `${oidc.server.url}${CALLBACK_PATH}`,
      scope: 'openid email profile',
      state: attempt.state,
      nonce: attempt.nonce,
      code_challenge_method: 'S256',
      code_challenge: base64urlSha256(attempt.codeVerifier),
    });
    expect(attempt.codeVerifier).toMatch(/^[\w-]{43,128}$/);

    // The provider asked for a login and then consent, over real HTTP.
    expect(prompts).toEqual(['login', 'consent']);
    expect(route(browser.hops)).toEqual([
      'GET trellis /auth/oauth/oidc → 302',
      'GET issuer /auth → 303',
      'GET issuer /interaction/:uid → 200',
      'POST issuer /interaction/:uid → 303',
      'GET issuer /auth/:uid → 303',
      'GET issuer /interaction/:uid → 200',
      'POST issuer /interaction/:uid → 303',
      'GET issuer /auth/:uid → 303',
      `GET trellis ${CALLBACK_PATH} → 302`,
    ]);

    // The provider came back with a code, our state and its issuer (RFC 9207).
    expect(callbackUrl.searchParams.get('state')).toBe(attempt.state);
    expect(callbackUrl.searchParams.get('code')).toBeTruthy();
    expect(callbackUrl.searchParams.get('iss')).toBe(oidc.provider.issuer);

    // Our callback: a session cookie, the attempt cookie cleared, and on to returnTo.
    expect(callback.status, callback.body).toBe(302);
    expect(callback.rawLocation).toBe('/after');
    expect(callback.cacheControl).toBe('no-store');
    const sessionCookie = setCookieFor(callback, 'trellis_session') ?? '';
    expect(sessionCookie).toMatch(/^trellis_session=[^;]{20,};/);
    expect(sessionCookie.split('; ')).toEqual(
      expect.arrayContaining(['Path=/', 'HttpOnly', 'SameSite=Lax']),
    );
    expect(setCookieFor(callback, 'trellis_oauth')).toMatch(
      /^trellis_oauth=; Path=\/auth\/oauth\/; .*Max-Age=0/,
    );
    expect(browser.cookie(`${oidc.server.url}${CALLBACK_PATH}`, 'trellis_oauth')).toBeUndefined();

    // The cookie is a working session: auth.me over HTTP knows the provider's account.
    const user = await me(browser);
    expect(user).toMatchObject({ email: who.email, name: who.name });

    // Stored: a password-less user, linked to the provider's subject.
    const users = await usersWithEmail(who.email);
    expect(users).toHaveLength(1);
    expect(users[0]).toMatchObject({ id: user.id, name: who.name, password_hash: null });
    expect(await linksFor(who.sub)).toEqual([
      expect.objectContaining({ user_id: user.id, email: who.email }),
    ]);
    expect(oidc.provider.serverErrors).toEqual([]);
  });

  it('signs the same provider account in as the same user the second time', async () => {
    const who = ACCOUNTS.again;
    const first = new Browser();
    expect((await signIn(first, who)).callback.status).toBe(302);
    const firstUser = await me(first);

    // Another browser: a new provider session, the full login again.
    const second = new Browser();
    const again = await signIn(second, who);
    expect(again.prompts).toEqual(['login', 'consent']);
    expect(again.callback.status).toBe(302);
    expect((await me(second)).id).toBe(firstUser.id);

    // The same browser: the provider remembers the login and the grant, no forms at all.
    const sso = await signIn(first, who);
    expect(sso.prompts).toEqual([]);
    expect(sso.callback.status).toBe(302);
    expect((await me(first)).id).toBe(firstUser.id);

    expect(await usersWithEmail(who.email)).toHaveLength(1);
    expect(await linksFor(who.sub)).toHaveLength(1);
    const sessions = await oidc.server.db
      .selectFrom('sessions')
      .select('id')
      .where('user_id', '=', String(firstUser.id))
      .execute();
    expect(sessions).toHaveLength(3);
  });

  it('answers 404 for a provider that is not configured', async () => {
    const browser = new Browser();
    for (const path of ['/auth/oauth/nope', '/auth/oauth/nope/callback', '/auth/oauth/github']) {
      const hop = await browser.request(`${oidc.server.url}${path}`);
      expectErrorPage(hop, 404, /not configured/);
      expect(setCookieFor(hop, 'trellis_oauth')).toBeUndefined();
    }
  });

  it('gives every attempt a fresh state, nonce and code challenge', async () => {
    const browser = new Browser();
    const first = await browser.request(`${oidc.server.url}/auth/oauth/oidc`);
    const firstAttempt = attemptIn(browser);
    const second = await browser.request(`${oidc.server.url}/auth/oauth/oidc`);
    const secondAttempt = attemptIn(browser);

    const a = first.location?.searchParams;
    const b = second.location?.searchParams;
    for (const name of ['state', 'nonce', 'code_challenge']) {
      expect(a?.get(name), name).toBeTruthy();
      expect(a?.get(name), name).not.toBe(b?.get(name));
    }
    expect(firstAttempt.codeVerifier).not.toBe(secondAttempt.codeVerifier);
    expect(b?.get('state')).toBe(secondAttempt.state);
    expect(setCookieFor(first, 'trellis_oauth')).not.toBe(setCookieFor(second, 'trellis_oauth'));
  });

  it('returns only to paths on this site', async () => {
    const browser = new Browser();
    for (const [returnTo, expected] of [
      ['/projects/1?tab=tasks', '/projects/1?tab=tasks'],
      ['//evil.example/', '/'],
      ['/\\evil.example', '/'],
      ['https://evil.example/', '/'],
    ]) {
      await browser.request(
        `${oidc.server.url}/auth/oauth/oidc?returnTo=${encodeURIComponent(returnTo ?? '')}`,
      );
      expect(attemptIn(browser).returnTo, returnTo).toBe(expected);
    }
  });
});
