// OpenID Connect sign-in end to end: a real Trellis server and a real OpenID provider
// (oidc-provider) on loopback ports, and the dance between them walked by the tiny browser
// (./browser.ts), filling in the provider's login and consent forms. Every hop is a real
// HTTP request, so each can be asserted on.
import { createHash } from 'node:crypto';
import { createServer as createNetServer } from 'node:net';
import { afterAll, beforeAll, expect } from 'vitest';
import type { ServerConfig } from '../../src/config.js';
import { type Browser, formOf, type Hop, setCookieFor } from './browser.js';
import { wireTo } from './http.js';
import { type OidcTestAccount, startOidcProvider, type TestOidcProvider } from './oidc-provider.js';
import { startTestServer, type TestServer } from './server.js';
import { type AuthResult, dataOf, isRecord, type Me, PASSWORD, type Reply } from './wire.js';

export const CLIENT_ID = 'trellis-test';
const CLIENT_SECRET = 'a-client-secret-long-enough-for-hmac-0123456789';
export const CALLBACK_PATH = '/auth/oauth/oidc/callback';

/** A provider account; its email is `<sub>@example.com` and verified unless overridden. */
export function oidcAccount(
  sub: string,
  name: string,
  overrides: Partial<OidcTestAccount> = {},
): OidcTestAccount {
  return {
    sub: `sub-${sub}`,
    email: `${sub}@example.com`,
    email_verified: true,
    name,
    ...overrides,
  };
}

/** A port that was free a moment ago: the redirect URI must be known before the server listens. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => (port ? resolve(port) : reject(new Error('no port'))));
    });
  });
}

function isAddressInUse(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'EADDRINUSE';
}

/** A server whose only OAuth provider is a real OpenID provider (`Test SSO`), and that provider. */
export interface OidcServers {
  server: TestServer;
  provider: TestOidcProvider;
}

/**
 * Starts a provider that knows `accounts` and a server signing in through it, on a port
 * chosen first (the provider must know the redirect URI). `start` starts the server (a
 * test's own, which may track it for closing); the caller closes both.
 */
export async function startOidcServers(
  accounts: OidcTestAccount[],
  overrides: Partial<ServerConfig> = {},
  start: (overrides: Partial<ServerConfig>) => Promise<TestServer> = startTestServer,
): Promise<OidcServers> {
  // Another process may take the probed port before the server listens: try a few.
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    const provider = await startOidcProvider({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUris: [`${publicUrl}${CALLBACK_PATH}`],
      accounts,
    });
    try {
      const server = await start({
        ...overrides,
        port,
        publicUrl,
        oauth: {
          github: null,
          google: null,
          oidc: {
            issuer: provider.issuer,
            name: 'Test SSO',
            clientId: CLIENT_ID,
            clientSecret: CLIENT_SECRET,
          },
        },
      });
      return { server, provider };
    } catch (error) {
      await provider.close();
      if (attempt >= 3 || !isAddressInUse(error)) throw error;
    }
  }
}

/** A sign-in walked up to the provider's redirect back to our callback. */
export interface Dance {
  /** Our server's redirect to the provider. */
  start: Hop;
  /** The provider's redirect back to us, not yet followed. */
  callbackUrl: URL;
  /** The provider's forms the browser filled in, in order. */
  prompts: string[];
}

export function isCallback(server: TestServer, url: URL): boolean {
  return url.origin === server.url && url.pathname === CALLBACK_PATH;
}

/**
 * Starts a sign-in at our server and walks the provider's pages (following redirects,
 * submitting the login form as `login` and then the consent form) until the provider
 * redirects back to our callback, which is left for the caller to request.
 */
export async function dance(
  { server, provider }: OidcServers,
  browser: Browser,
  login: OidcTestAccount,
  { returnTo = '/after' }: { returnTo?: string } = {},
): Promise<Dance> {
  const start = await browser.request(
    `${server.url}/auth/oauth/oidc?returnTo=${encodeURIComponent(returnTo)}`,
  );
  expect(start.status, start.body).toBe(302);
  const prompts: string[] = [];
  let hop = start;
  for (let step = 0; step < 20; step += 1) {
    if (hop.location && isCallback(server, hop.location)) {
      return { start, callbackUrl: hop.location, prompts };
    }
    if (hop.location) {
      expect(hop.location.origin, 'the dance stays between our server and the issuer').toBe(
        provider.issuer,
      );
      hop = await browser.request(hop.location);
    } else if (hop.status === 200 && hop.url.origin === provider.issuer) {
      const { action, fields } = formOf(hop);
      const prompt = fields.get('prompt') ?? '';
      prompts.push(prompt);
      if (prompt === 'login') {
        fields.set('login', login.sub);
        fields.set('password', 'any password works here');
      } else if (prompt !== 'consent') {
        throw new Error(`unexpected prompt "${prompt}" at ${hop.url}`);
      }
      hop = await browser.request(action, fields);
    } else {
      throw new Error(`unexpected ${hop.status} at ${hop.url}: ${hop.body.slice(0, 500)}`);
    }
  }
  throw new Error('the sign-in did not come back within 20 hops');
}

/** Walks the dance and follows the provider's redirect into our callback. */
export async function signInThrough(
  servers: OidcServers,
  browser: Browser,
  login: OidcTestAccount,
  returnTo = '/after',
) {
  const walked = await dance(servers, browser, login, { returnTo });
  const callback = await browser.request(walked.callbackUrl);
  return { ...walked, callback };
}

/** What the attempt cookie remembers of a sign-in in progress. */
export interface Attempt {
  provider: string;
  state: string;
  codeVerifier: string;
  nonce: string;
  returnTo: string;
}

/** The attempt cookie's value (base64url JSON), read. */
export function parseAttempt(raw: string): Attempt {
  const value: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  if (!isRecord(value)) throw new Error('attempt cookie is not an object');
  const text = (name: string) => {
    const field = value[name];
    if (typeof field !== 'string') throw new Error(`attempt cookie lacks ${name}`);
    return field;
  };
  return {
    provider: text('provider'),
    state: text('state'),
    codeVerifier: text('codeVerifier'),
    nonce: text('nonce'),
    returnTo: text('returnTo'),
  };
}

/** A 400 (or other) HTML error page from our callback, which starts no session. */
export function expectErrorPage(hop: Hop, status: number, message: RegExp): void {
  expect(hop.status, hop.body).toBe(status);
  expect(hop.contentType).toMatch(/^text\/html/);
  expect(hop.cacheControl).toBe('no-store');
  expect(hop.body).toContain('<h1>Sign-in failed</h1>');
  expect(hop.body).toMatch(message);
  expect(setCookieFor(hop, 'trellis_session')).toBeUndefined();
  expect(hop.location).toBeNull();
}

export function base64urlSha256(value: string): string {
  return createHash('sha256').update(value, 'ascii').digest('base64url');
}

/**
 * One provider and one server for this file (started before its tests, closed after), and
 * the dance and look-ups bound to them.
 */
export function oidcSignInFile(accounts: OidcTestAccount[]) {
  let running: OidcServers | undefined;
  beforeAll(async () => {
    running = await startOidcServers(accounts);
  });
  afterAll(async () => {
    await running?.server.close();
    await running?.provider.close();
  });
  const servers = (): OidcServers => {
    if (!running) throw new Error('the servers are not running (call from a test or hook)');
    return running;
  };
  const server = () => servers().server;
  const { send, mutate } = wireTo(server);

  return {
    get server() {
      return server();
    },
    get provider() {
      return servers().provider;
    },
    dance: (browser: Browser, login: OidcTestAccount, options?: { returnTo?: string }) =>
      dance(servers(), browser, login, options),
    signIn: (browser: Browser, login: OidcTestAccount, returnTo?: string) =>
      signInThrough(servers(), browser, login, returnTo),
    isCallback: (url: URL) => isCallback(server(), url),

    /** The attempt cookie's contents as this browser holds it. */
    attemptIn(browser: Browser): Attempt {
      const raw = browser.cookie(`${server().url}${CALLBACK_PATH}`, 'trellis_oauth');
      if (!raw) throw new Error('no attempt cookie');
      return parseAttempt(raw);
    },

    /** auth.me with the browser's cookies: who the browser is signed in as. */
    async me(browser: Browser): Promise<Me['user']> {
      const url = new URL(`${server().url}/trpc/auth.me`);
      return dataOf<Me>(
        await send(url.pathname, { headers: { cookie: browser.cookieHeader(url) } }),
      ).user;
    },

    /** Signs up with a password over HTTP; returns the new user's id. */
    async signUpWithPassword(email: string, name: string): Promise<string> {
      return dataOf<AuthResult>(await mutate('auth.signUp', { email, password: PASSWORD, name }))
        .user.id;
    },

    /** One tRPC call over HTTP (a mutation when `input` is given), with a bearer token. */
    call(path: string, { token, input }: { token?: string; input?: unknown } = {}): Promise<Reply> {
      return input === undefined
        ? send(`/trpc/${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} })
        : mutate(path, input, { token });
    },

    usersWithEmail(email: string) {
      return server()
        .db.selectFrom('users')
        .selectAll()
        .where('email', '=', email.toLowerCase())
        .execute();
    },

    linksFor(subject: string) {
      return server()
        .db.selectFrom('oauth_accounts')
        .selectAll()
        .where('provider', '=', 'oidc')
        .where('subject', '=', subject)
        .execute();
    },

    async sessionCount(): Promise<number> {
      const row = await server()
        .db.selectFrom('sessions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    /** Hops with the per-attempt parts (uids, query strings) left out, for comparing the path. */
    route(hops: Hop[]): string[] {
      return hops.map((hop) => {
        const who = hop.url.origin === server().url ? 'trellis' : 'issuer';
        const path = hop.url.pathname.replace(/\/[\w-]{20,}(?=\/|$)/g, '/:uid');
        return `${hop.method} ${who} ${path} → ${hop.status}`;
      });
    },
  };
}
