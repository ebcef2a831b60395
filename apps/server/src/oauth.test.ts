// OpenID Connect sign-in end to end: a real Trellis server and a real OpenID provider
// (oidc-provider) on loopback ports, and a small browser that follows every redirect by
// hand, keeps cookies per host and path, and fills in the provider's login and consent
// forms. Every hop of the dance is a real HTTP request, so each can be asserted on.
import { createHash } from 'node:crypto';
import { createServer as createNetServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type OidcTestAccount,
  startOidcProvider,
  type TestOidcProvider,
} from './test/oidc-provider.js';
import { startTestServer, type TestServer, verifyEmailByMail } from './test/server.js';

const CLIENT_ID = 'trellis-test';
const CLIENT_SECRET = 'a-client-secret-long-enough-for-hmac-0123456789';
const CALLBACK_PATH = '/auth/oauth/oidc/callback';
const PASSWORD = 'correct horse battery staple';

/** Provider accounts, one per scenario, so tests do not see each other's users. */
const ACCOUNTS = {
  roundTrip: account('round-trip', 'Grace Hopper'),
  again: account('again', 'Alan Turing'),
  linked: account('linked', 'Linda Linker', { email: 'Linked@Example.COM' }),
  unverified: account('unverified', 'Mallory', { email_verified: false }),
  unverifiedNew: account('unverified-new', 'Nobody', { email_verified: false }),
  state: account('state', 'Stan State'),
  replay: account('replay', 'Rita Replay'),
  nonce: account('nonce', 'Nora Nonce'),
  // The real owner of an address an attacker signed up with first (pre-hijack).
  victim: account('victim', 'Victoria Owner', { email: 'victim@corp.example' }),
} satisfies Record<string, OidcTestAccount>;

function account(
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

let server: TestServer;
let provider: TestOidcProvider;

/** A port that was free a moment ago: the redirect URI must be known before the server listens. */
function freePort(): Promise<number> {
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

beforeAll(async () => {
  // Another process may take the probed port before the server listens: try a few.
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    provider = await startOidcProvider({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUris: [`${publicUrl}${CALLBACK_PATH}`],
      accounts: Object.values(ACCOUNTS),
    });
    try {
      server = await startTestServer({
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
      return;
    } catch (error) {
      await provider.close();
      if (attempt >= 3 || !isAddressInUse(error)) throw error;
    }
  }
});

afterAll(async () => {
  await server?.close();
  await provider?.close();
});

// ---------------------------------------------------------------------------------------
// A tiny browser
// ---------------------------------------------------------------------------------------

interface Cookie {
  name: string;
  value: string;
  /** Like a browser, cookies belong to a host name, whatever the port. */
  hostname: string;
  path: string;
}

/** One request and its response, as the browser saw it. */
interface Hop {
  method: 'GET' | 'POST';
  url: URL;
  status: number;
  /** The Location header as sent, and resolved against `url`. */
  rawLocation: string | null;
  location: URL | null;
  setCookies: string[];
  contentType: string | null;
  cacheControl: string | null;
  body: string;
}

/** RFC 6265 5.1.4: the default path is the request path up to its last `/`. */
function defaultCookiePath(pathname: string): string {
  const last = pathname.lastIndexOf('/');
  return last <= 0 ? '/' : pathname.slice(0, last);
}

/** RFC 6265 5.1.4 path-match. */
function pathMatches(requestPath: string, cookiePath: string): boolean {
  return (
    requestPath === cookiePath ||
    (requestPath.startsWith(cookiePath) &&
      (cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/'))
  );
}

class Browser {
  private jar: Cookie[] = [];
  readonly hops: Hop[] = [];

  /** One request, no redirect followed; cookies sent and stored as a browser would. */
  async request(url: URL | string, form?: URLSearchParams): Promise<Hop> {
    const target = new URL(url);
    const method = form ? 'POST' : 'GET';
    const headers: Record<string, string> = { accept: 'text/html,*/*' };
    const cookie = this.cookieHeader(target);
    if (cookie) headers.cookie = cookie;
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(target, {
      method,
      headers,
      body: form?.toString(),
      redirect: 'manual',
    });
    const setCookies = response.headers.getSetCookie();
    for (const header of setCookies) this.store(target, header);
    const rawLocation = response.headers.get('location');
    const hop: Hop = {
      method,
      url: target,
      status: response.status,
      rawLocation,
      location: rawLocation === null ? null : new URL(rawLocation, target),
      setCookies,
      contentType: response.headers.get('content-type'),
      cacheControl: response.headers.get('cache-control'),
      body: await response.text(),
    };
    this.hops.push(hop);
    return hop;
  }

  /** The Cookie header for `url`: longer paths first, as browsers order them. */
  cookieHeader(url: URL): string {
    return this.jar
      .filter((c) => c.hostname === url.hostname && pathMatches(url.pathname, c.path))
      .sort((a, b) => b.path.length - a.path.length)
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  /** The value of cookie `name` that would be sent to `url`. */
  cookie(url: URL | string, name: string): string | undefined {
    const target = new URL(url);
    return this.jar.find(
      (c) =>
        c.name === name && c.hostname === target.hostname && pathMatches(target.pathname, c.path),
    )?.value;
  }

  /** Puts a cookie back, as an attacker who copied it could. */
  setCookie(cookie: Cookie): void {
    this.jar = this.jar.filter((c) => !sameCookie(c, cookie));
    this.jar.push(cookie);
  }

  private store(url: URL, header: string): void {
    const [pair = '', ...attributes] = header.split(';');
    const eq = pair.indexOf('=');
    if (eq <= 0) return;
    const cookie: Cookie = {
      name: pair.slice(0, eq).trim(),
      value: pair.slice(eq + 1).trim(),
      hostname: url.hostname,
      path: defaultCookiePath(url.pathname),
    };
    let maxAge: number | undefined;
    let expires: number | undefined;
    for (const attribute of attributes) {
      const [key = '', ...rest] = attribute.split('=');
      const value = rest.join('=').trim();
      switch (key.trim().toLowerCase()) {
        case 'path':
          if (value.startsWith('/')) cookie.path = value;
          break;
        case 'max-age':
          maxAge = Number(value);
          break;
        case 'expires':
          expires = Date.parse(value);
          break;
      }
    }
    // Max-Age wins over Expires; either in the past deletes the cookie.
    const expired =
      maxAge !== undefined ? maxAge <= 0 : expires !== undefined && expires <= Date.now();
    this.jar = this.jar.filter((c) => !sameCookie(c, cookie));
    if (!expired) this.jar.push(cookie);
  }
}

function sameCookie(a: Cookie, b: Cookie): boolean {
  return a.name === b.name && a.hostname === b.hostname && a.path === b.path;
}

// ---------------------------------------------------------------------------------------
// Reading the provider's HTML
// ---------------------------------------------------------------------------------------

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, entity: string) => {
    if (entity.startsWith('#x') || entity.startsWith('#X')) {
      return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    }
    if (entity.startsWith('#')) return String.fromCodePoint(Number(entity.slice(1)));
    return ENTITIES[entity.toLowerCase()] ?? whole;
  });
}

function attributesOf(tag: string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const match of tag.matchAll(/([\w-]+)(?:="([^"]*)")?/g)) {
    const [, name = '', value = ''] = match;
    attributes.set(name.toLowerCase(), decodeEntities(value));
  }
  return attributes;
}

/** The page's form: where it posts and the fields a browser would submit unchanged. */
function formOf(hop: Hop): { action: URL; fields: URLSearchParams } {
  const match = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(hop.body);
  if (!match) throw new Error(`no form at ${hop.url}: ${hop.body.slice(0, 300)}`);
  const form = attributesOf(match[1] ?? '');
  expect(form.get('method')?.toLowerCase()).toBe('post');
  const fields = new URLSearchParams();
  for (const input of (match[2] ?? '').matchAll(/<input\b([^>]*)>/gi)) {
    const attributes = attributesOf(input[1] ?? '');
    const name = attributes.get('name');
    if (name) fields.set(name, attributes.get('value') ?? '');
  }
  return { action: new URL(form.get('action') ?? '', hop.url), fields };
}

/** The href of the link whose text is `text`. */
function linkOf(hop: Hop, text: string): URL {
  for (const match of hop.body.matchAll(/<a\b([^>]*)>([^<]*)<\/a>/gi)) {
    if (match[2]?.trim() === text) {
      return new URL(attributesOf(match[1] ?? '').get('href') ?? '', hop.url);
    }
  }
  throw new Error(`no "${text}" link at ${hop.url}`);
}

// ---------------------------------------------------------------------------------------
// The sign-in dance
// ---------------------------------------------------------------------------------------

interface Dance {
  /** Our server's redirect to the provider. */
  start: Hop;
  /** The provider's redirect back to us, not yet followed. */
  callbackUrl: URL;
  /** The provider's forms the browser filled in, in order. */
  prompts: string[];
}

function isCallback(url: URL): boolean {
  return url.origin === server.url && url.pathname === CALLBACK_PATH;
}

/**
 * Starts a sign-in at our server and walks the provider's pages (following redirects,
 * submitting the login form as `login` and then the consent form) until the provider
 * redirects back to our callback, which is left for the caller to request.
 */
async function dance(
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
    if (hop.location && isCallback(hop.location)) {
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
async function signIn(browser: Browser, login: OidcTestAccount, returnTo = '/after') {
  const walked = await dance(browser, login, { returnTo });
  const callback = await browser.request(walked.callbackUrl);
  return { ...walked, callback };
}

// ---------------------------------------------------------------------------------------
// Assertions and server-side look-ups
// ---------------------------------------------------------------------------------------

interface Attempt {
  provider: string;
  state: string;
  codeVerifier: string;
  nonce: string;
  returnTo: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** The attempt cookie's contents (base64url JSON) as this browser holds it. */
function attemptIn(browser: Browser): Attempt {
  const raw = browser.cookie(`${server.url}${CALLBACK_PATH}`, 'trellis_oauth');
  if (!raw) throw new Error('no attempt cookie');
  return parseAttempt(raw);
}

function parseAttempt(raw: string): Attempt {
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

/** The Set-Cookie header for cookie `name`, if the hop set one. */
function setCookieFor(hop: Hop, name: string): string | undefined {
  return hop.setCookies.find((header) => header.startsWith(`${name}=`));
}

/** A 400 (or other) HTML error page from our callback, which starts no session. */
function expectErrorPage(hop: Hop, status: number, message: RegExp): void {
  expect(hop.status, hop.body).toBe(status);
  expect(hop.contentType).toMatch(/^text\/html/);
  expect(hop.cacheControl).toBe('no-store');
  expect(hop.body).toContain('<h1>Sign-in failed</h1>');
  expect(hop.body).toMatch(message);
  expect(setCookieFor(hop, 'trellis_session')).toBeUndefined();
  expect(hop.location).toBeNull();
}

async function me(browser: Browser) {
  const url = new URL(`${server.url}/trpc/auth.me`);
  const response = await fetch(url, { headers: { cookie: browser.cookieHeader(url) } });
  const body: unknown = await response.json();
  expect(response.status, JSON.stringify(body)).toBe(200);
  if (!isRecord(body) || !isRecord(body.result) || !isRecord(body.result.data)) {
    throw new Error(`not a tRPC success body: ${JSON.stringify(body)}`);
  }
  const { user } = body.result.data;
  if (!isRecord(user)) throw new Error('auth.me returned no user');
  return user;
}

async function signUpWithPassword(email: string, name: string): Promise<string> {
  const response = await fetch(`${server.url}/trpc/auth.signUp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD, name }),
  });
  const body: unknown = await response.json();
  expect(response.status, JSON.stringify(body)).toBe(200);
  if (!isRecord(body) || !isRecord(body.result) || !isRecord(body.result.data)) {
    throw new Error(`not a tRPC success body: ${JSON.stringify(body)}`);
  }
  const { user } = body.result.data;
  if (!isRecord(user) || typeof user.id !== 'string') throw new Error('signUp returned no user');
  return user.id;
}

/** One tRPC call over HTTP (a mutation when `input` is given), with a bearer token. */
async function call(
  path: string,
  { token, input }: { token?: string; input?: unknown } = {},
): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${server.url}/trpc/${path}`, {
    method: input === undefined ? 'GET' : 'POST',
    headers,
    body: input === undefined ? undefined : JSON.stringify(input),
  });
  return { status: response.status, body: await response.json() };
}

/** The data of a successful call. */
function dataOf(reply: { status: number; body: unknown }): Record<string, unknown> {
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  const { body } = reply;
  if (!isRecord(body) || !isRecord(body.result) || !isRecord(body.result.data)) {
    throw new Error(`not a tRPC success body: ${JSON.stringify(body)}`);
  }
  return body.result.data;
}

function usersWithEmail(email: string) {
  return server.db
    .selectFrom('users')
    .selectAll()
    .where('email', '=', email.toLowerCase())
    .execute();
}

function linksFor(subject: string) {
  return server.db
    .selectFrom('oauth_accounts')
    .selectAll()
    .where('provider', '=', 'oidc')
    .where('subject', '=', subject)
    .execute();
}

async function sessionCount(): Promise<number> {
  const row = await server.db
    .selectFrom('sessions')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

function base64urlSha256(value: string): string {
  return createHash('sha256').update(value, 'ascii').digest('base64url');
}

/** Hops with the per-attempt parts (uids, query strings) left out, for comparing the path. */
function route(hops: Hop[]): string[] {
  return hops.map((hop) => {
    const who = hop.url.origin === server.url ? 'trellis' : 'issuer';
    const path = hop.url.pathname.replace(/\/[\w-]{20,}(?=\/|$)/g, '/:uid');
    return `${hop.method} ${who} ${path} → ${hop.status}`;
  });
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

describe('OpenID Connect sign-in against a real provider', () => {
  it('lists the configured provider', async () => {
    const response = await fetch(`${server.url}/auth/oauth`);
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
    const discovery = await fetch(`${provider.issuer}/.well-known/openid-configuration`);
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
      redirect_uri: `${server.url}${CALLBACK_PATH}`,
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
    expect(callbackUrl.searchParams.get('iss')).toBe(provider.issuer);

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
    expect(browser.cookie(`${server.url}${CALLBACK_PATH}`, 'trellis_oauth')).toBeUndefined();

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
    expect(provider.serverErrors).toEqual([]);
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
    const sessions = await server.db
      .selectFrom('sessions')
      .select('id')
      .where('user_id', '=', String(firstUser.id))
      .execute();
    expect(sessions).toHaveLength(3);
  });

  it('links to the existing account with the same verified email', async () => {
    const who = ACCOUNTS.linked; // Linked@Example.COM at the provider
    const userId = await signUpWithPassword('linked@example.com', 'Password Person');
    // The account proves it owns the address, from the mail: only then may an identity
    // link to it.
    await verifyEmailByMail(server, 'linked@example.com');
    const [verified] = await usersWithEmail('linked@example.com');
    const verifiedAt = verified?.email_verified_at;
    expect(verifiedAt).toEqual(expect.any(String));

    const browser = new Browser();
    const { callback } = await signIn(browser, who);
    expect(callback.status, callback.body).toBe(302);
    expect(await me(browser)).toMatchObject({
      id: userId,
      email: 'linked@example.com',
      // The existing account keeps its own name.
      name: 'Password Person',
    });

    const users = await usersWithEmail('linked@example.com');
    expect(users).toHaveLength(1);
    expect(users[0]?.password_hash).toEqual(expect.any(String));
    expect(users[0]?.email_verified_at).toBe(verifiedAt); // still verified, since then
    // Its password still signs in.
    dataOf(
      await call('auth.signIn', { input: { email: 'linked@example.com', password: PASSWORD } }),
    );
    expect(await linksFor(who.sub)).toEqual([
      expect.objectContaining({ user_id: userId, email: 'linked@example.com' }),
    ]);
  });

  it('hands an unverified account to the owner of its address, shutting the attacker out', async () => {
    // Mallory signs up with the victim's address, which she does not own: nothing checks
    // that she can read its mail. She makes a workspace and an API token for it.
    const who = ACCOUNTS.victim;
    const signedUp = dataOf(
      await call('auth.signUp', {
        input: { email: who.email, password: PASSWORD, name: 'Victoria (not really)' },
      }),
    );
    const mallory = {
      userId: String(isRecord(signedUp.user) ? signedUp.user.id : ''),
      session: String(isRecord(signedUp.session) ? signedUp.session.token : ''),
    };
    const workspace = dataOf(
      await call('workspaces.create', {
        token: mallory.session,
        input: { name: 'Corp planning', slug: 'corp-planning' },
      }),
    );
    const apiToken = String(
      dataOf(
        await call('apiTokens.create', {
          token: mallory.session,
          input: { workspaceId: workspace.id, name: 'backdoor', scope: 'write' },
        }),
      ).token,
    );
    const readWorkspace = `workspaces.get?input=${encodeURIComponent(
      JSON.stringify({ workspaceId: workspace.id }),
    )}`;
    dataOf(await call(readWorkspace, { token: apiToken })); // it works, for now
    // And an invite, as admin, for an address she does own: it carries this account's
    // authority, which is about to become the victim's.
    const invited = dataOf(
      await call('members.invite', {
        token: mallory.session,
        input: { workspaceId: workspace.id, email: 'mallory-alt@example.com', role: 'admin' },
      }),
    );

    // The real owner signs in through the issuer, which vouches for the address.
    const browser = new Browser();
    const { callback } = await signIn(browser, who);
    expect(callback.status, callback.body).toBe(302);

    // She takes the address over: the same account, now hers, under her name.
    const victim = await me(browser);
    expect(victim).toMatchObject({ id: mallory.userId, email: who.email, name: who.name });
    const [stored] = await usersWithEmail(who.email);
    expect(stored).toMatchObject({ password_hash: null, email_verified_at: expect.any(String) });
    expect(await linksFor(who.sub)).toEqual([
      expect.objectContaining({ user_id: mallory.userId, email: who.email }),
    ]);

    // Mallory has no way back in: not her password, her session, nor her API token.
    const signInAgain = await call('auth.signIn', {
      input: { email: who.email, password: PASSWORD },
    });
    expect(signInAgain.status, JSON.stringify(signInAgain.body)).toBe(401);
    expect((await call('auth.me', { token: mallory.session })).status).toBe(401);
    expect((await call(readWorkspace, { token: apiToken })).status).toBe(401);
    const tokens = await server.db
      .selectFrom('api_tokens')
      .select(['name', 'revoked_at'])
      .where('created_by', '=', mallory.userId)
      .execute();
    expect(tokens).toEqual([{ name: 'backdoor', revoked_at: expect.any(String) }]);
    const pendingInvites = await server.db
      .selectFrom('invites')
      .select('id')
      .where('id', '=', String(invited.inviteId))
      .execute();
    expect(pendingInvites).toEqual([]);

    // The owner's own session works, and is the account's only one.
    expect(await me(browser)).toMatchObject({ id: mallory.userId });
    const sessions = await server.db
      .selectFrom('sessions')
      .select('id')
      .where('user_id', '=', mallory.userId)
      .execute();
    expect(sessions).toHaveLength(1);
  });

  it('refuses an unverified email that matches an existing account', async () => {
    const who = ACCOUNTS.unverified;
    const userId = await signUpWithPassword(who.email, 'The Real Owner');
    const sessionsBefore = await sessionCount();

    const browser = new Browser();
    const { callback } = await signIn(browser, who);
    expectErrorPage(callback, 400, /no verified email address/);
    expect(setCookieFor(callback, 'trellis_oauth')).toMatch(/Max-Age=0/);
    expect(browser.cookie(server.url, 'trellis_session')).toBeUndefined();

    expect(await linksFor(who.sub)).toEqual([]);
    expect(await sessionCount()).toBe(sessionsBefore);
    expect(await usersWithEmail(who.email)).toEqual([
      expect.objectContaining({ id: userId, name: 'The Real Owner' }),
    ]);
  });

  it('refuses an unverified email that matches no account, creating nobody', async () => {
    const who = ACCOUNTS.unverifiedNew;
    const browser = new Browser();
    const { callback } = await signIn(browser, who);
    expectErrorPage(callback, 400, /no verified email address/);
    expect(await usersWithEmail(who.email)).toEqual([]);
    expect(await linksFor(who.sub)).toEqual([]);
  });

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
      const attemptCookie = browser.cookie(`${server.url}${CALLBACK_PATH}`, 'trellis_oauth');
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
      const start = await browser.request(`${server.url}/auth/oauth/oidc?returnTo=/after`);
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
      await browser.request(`${server.url}/auth/oauth/oidc`);
      const { state } = attemptIn(browser);
      const callback = await browser.request(
        `${server.url}${CALLBACK_PATH}?error=access_denied&state=${state}`,
      );
      expectErrorPage(callback, 400, /did not sign you in \(access_denied\)/);
    });

    it('escapes what the provider sends into the error page', async () => {
      const browser = new Browser();
      await browser.request(`${server.url}/auth/oauth/oidc`);
      const { state } = attemptIn(browser);
      const error = encodeURIComponent('<script>alert(1)</script>');
      const callback = await browser.request(
        `${server.url}${CALLBACK_PATH}?error=${error}&state=${state}`,
      );
      expectErrorPage(callback, 400, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
      expect(callback.body).not.toContain('<script>');
    });
  });

  it('answers 404 for a provider that is not configured', async () => {
    const browser = new Browser();
    for (const path of ['/auth/oauth/nope', '/auth/oauth/nope/callback', '/auth/oauth/github']) {
      const hop = await browser.request(`${server.url}${path}`);
      expectErrorPage(hop, 404, /not configured/);
      expect(setCookieFor(hop, 'trellis_oauth')).toBeUndefined();
    }
  });

  it('gives every attempt a fresh state, nonce and code challenge', async () => {
    const browser = new Browser();
    const first = await browser.request(`${server.url}/auth/oauth/oidc`);
    const firstAttempt = attemptIn(browser);
    const second = await browser.request(`${server.url}/auth/oauth/oidc`);
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
        `${server.url}/auth/oauth/oidc?returnTo=${encodeURIComponent(returnTo ?? '')}`,
      );
      expect(attemptIn(browser).returnTo, returnTo).toBe(expected);
    }
  });
});
