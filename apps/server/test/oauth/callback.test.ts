// OpenID Connect sign-in end to end (../support/oidc-sign-in.ts: a real server, a real
// provider, a tiny browser walking every hop): what the callback refuses: a state,
// nonce or browser that is not the attempt's, a replay, and the provider's errors.
import { describe, expect, it } from 'vitest';
import { Browser, formOf, linkOf } from '../support/browser.js';
import {
  CALLBACK_PATH,
  expectErrorPage,
  oidcAccount,
  oidcSignInFile,
} from '../support/oidc-sign-in.js';

/** Provider accounts, one per scenario, so tests do not see each other's users. */
const ACCOUNTS = {
  state: oidcAccount('state', 'Stan State'),
  nonce: oidcAccount('nonce', 'Nora Nonce'),
  replay: oidcAccount('replay', 'Rita Replay'),
};

const oidc = oidcSignInFile(Object.values(ACCOUNTS));
const { dance, isCallback, attemptIn, linksFor, sessionCount } = oidc;

describe('OpenID Connect sign-in against a real provider', () => {
  describe('state and the attempt cookie', () => {
    it('refuses a callback whose state is not the attempt’s, and ends that attempt', async () => {
      const browser = new Browser();
      const { callbackUrl } = await dance(browser, ACCOUNTS.state);
      const sessionsBefore = await sessionCount();

      const forged = new URL(callbackUrl);
      // One character changed, to one that surely differs (the state may end in any letter).
      const { state } = attemptIn(browser);
      forged.searchParams.set('state', `${state.slice(0, -1)}${state.endsWith('x') ? 'y' : 'x'}`);
      const refused = await browser.request(forged);
      expectErrorPage(refused, 400, /does not match this browser/);

      // The attempt is single use: even the genuine callback cannot follow a refused one.
      const genuine = await browser.request(callbackUrl);
      expectErrorPage(genuine, 400, /expired or was started in another browser/);
      expect(await sessionCount()).toBe(sessionsBefore);
      expect(await linksFor(ACCOUNTS.state.sub)).toEqual([]);
    });

    it('refuses a callback in a browser that did not start the attempt', async () => {
      const victim = new Browser();
      const { callbackUrl } = await dance(victim, ACCOUNTS.state);
      const sessionsBefore = await sessionCount();

      // Login CSRF: the attacker's genuine code and state, delivered to another browser.
      const other = new Browser();
      expectErrorPage(await other.request(callbackUrl), 400, /expired or was started/);
      expect(await sessionCount()).toBe(sessionsBefore);
    });

    it('refuses an ID token whose nonce is not the attempt’s', async () => {
      // An honest provider echoes the nonce, so the attempt's copy is altered instead: the
      // code and PKCE verifier still match, only the ID token's nonce check can refuse.
      const browser = new Browser();
      const { callbackUrl } = await dance(browser, ACCOUNTS.nonce);
      const attempt = attemptIn(browser);
      browser.setCookie({
        name: 'trellis_oauth',
        value: Buffer.from(JSON.stringify({ ...attempt, nonce: 'another-nonce' })).toString(
          'base64url',
        ),
        hostname: '127.0.0.1',
        path: '/auth/oauth/',
      });
      const sessionsBefore = await sessionCount();
      expectErrorPage(await browser.request(callbackUrl), 400, /ID token is for another sign-in/);
      expect(await sessionCount()).toBe(sessionsBefore);
      expect(await linksFor(ACCOUNTS.nonce.sub)).toEqual([]);
    });

    it('refuses a replayed callback, with or without the old attempt cookie', async () => {
      const who = ACCOUNTS.replay;
      const browser = new Browser();
      const walked = await dance(browser, who);
      const attemptCookie = browser.cookie(`${oidc.server.url}${CALLBACK_PATH}`, 'trellis_oauth');
      if (!attemptCookie) throw new Error('no attempt cookie');
      const signedIn = await browser.request(walked.callbackUrl);
      expect(signedIn.status, signedIn.body).toBe(302);
      const sessionsAfterSignIn = await sessionCount();

      // The browser no longer holds the attempt: the same URL again is refused.
      const replay = await browser.request(walked.callbackUrl);
      expectErrorPage(replay, 400, /expired or was started in another browser/);

      // Even with the attempt cookie copied back, the provider will not take the code twice.
      browser.setCookie({
        name: 'trellis_oauth',
        value: attemptCookie,
        hostname: '127.0.0.1',
        path: '/auth/oauth/',
      });
      const withCookie = await browser.request(walked.callbackUrl);
      expectErrorPage(withCookie, 400, /refused the sign-in \(invalid_grant\)/);

      expect(await sessionCount()).toBe(sessionsAfterSignIn);
      expect(await linksFor(who.sub)).toHaveLength(1);
    });
  });

  describe('provider errors', () => {
    it('shows an error page when the user cancels at the provider', async () => {
      const browser = new Browser();
      const start = await browser.request(`${oidc.server.url}/auth/oauth/oidc?returnTo=/after`);
      const state = attemptIn(browser).state;
      let hop = start;
      while (hop.location) hop = await browser.request(hop.location);
      expect(hop.status).toBe(200);
      expect(formOf(hop).fields.get('prompt')).toBe('login');

      // The provider's own "[ Cancel ]" link: it redirects back with error=access_denied.
      hop = await browser.request(linkOf(hop, '[ Cancel ]'));
      while (hop.location && !isCallback(hop.location)) hop = await browser.request(hop.location);
      const back = hop.location;
      if (!back || !isCallback(back)) throw new Error(`no redirect to the callback: ${hop.status}`);
      expect(back.searchParams.get('error')).toBe('access_denied');
      expect(back.searchParams.get('state')).toBe(state);
      expect(back.searchParams.has('code')).toBe(false);

      const sessionsBefore = await sessionCount();
      const callback = await browser.request(back);
      expectErrorPage(callback, 400, /Test SSO did not sign you in \(access_denied\)/);
      expect(await sessionCount()).toBe(sessionsBefore);
    });

    it('shows an error page for ?error= with the right state', async () => {
      const browser = new Browser();
      await browser.request(`${oidc.server.url}/auth/oauth/oidc`);
      const { state } = attemptIn(browser);
      const callback = await browser.request(
        `${oidc.server.url}${CALLBACK_PATH}?error=access_denied&state=${state}`,
      );
      expectErrorPage(callback, 400, /did not sign you in \(access_denied\)/);
    });

    it('escapes what the provider sends into the error page', async () => {
      const browser = new Browser();
      await browser.request(`${oidc.server.url}/auth/oauth/oidc`);
      const { state } = attemptIn(browser);
      const error = encodeURIComponent('<script>alert(1)</script>');
      const callback = await browser.request(
        `${oidc.server.url}${CALLBACK_PATH}?error=${error}&state=${state}`,
      );
      expectErrorPage(callback, 400, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
      expect(callback.body).not.toContain('<script>');
    });
  });
});
