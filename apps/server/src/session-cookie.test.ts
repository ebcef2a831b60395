// The session cookie's name and the Origin check follow the server's scheme, over real
// HTTP. Over HTTPS (COOKIE_SECURE=true, or a Host that is not loopback) the cookie is
// `__Host-trellis_session`: browsers accept that name only from a Secure, Path=/,
// Domain-less Set-Cookie, so a sibling subdomain or a plain-HTTP page cannot plant one, and
// the server reads no other. And a page at http://<host> is not the origin https://<host>.
import { request as httpRequest } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerConfig } from './config.js';
import { startOidcProvider, type TestOidcProvider } from './test/oidc-provider.js';
import { startTestServer, type TestServer } from './test/server.js';

const PASSWORD = 'correct horse battery staple';
const HTTPS: Partial<ServerConfig> = { cookieSecure: 'true' };

const started: Array<{ close(): Promise<void> }> = [];

afterEach(async () => {
  for (const running of started.splice(0).reverse()) await running.close();
});

async function start(overrides: Partial<ServerConfig> = {}): Promise<TestServer> {
  const server = await startTestServer(overrides);
  started.push(server);
  return server;
}

interface Answer {
  status: number;
  body: unknown;
  setCookies: string[];
}

/** One tRPC call over HTTP; a mutation when `input` is given. */
async function call(
  server: TestServer,
  path: string,
  { input, headers = {} }: { input?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const response = await fetch(`${server.url}/trpc/${path}`, {
    method: input === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: input === undefined ? undefined : JSON.stringify(input),
  });
  return {
    status: response.status,
    body: await response.json(),
    setCookies: response.headers.getSetCookie(),
  };
}

let counter = 0;
/** A new account, signed in once more: returns its email and the sign-in's Set-Cookie headers. */
async function signedInAccount(server: TestServer) {
  counter += 1;
  const email = `cookie${counter}@example.com`;
  const signUp = await call(server, 'auth.signUp', {
    input: { email, password: PASSWORD, name: 'Cookie' },
  });
  expect(signUp.status, JSON.stringify(signUp.body)).toBe(200);
  const signIn = await call(server, 'auth.signIn', { input: { email, password: PASSWORD } });
  expect(signIn.status, JSON.stringify(signIn.body)).toBe(200);
  const { session } = (signIn.body as { result: { data: { session: { token: string } } } }).result
    .data;
  return { email, token: session.token, setCookies: signIn.setCookies };
}

function cookieNamed(setCookies: string[], name: string): string | undefined {
  return setCookies.find((header) => header.startsWith(`${name}=`));
}

function userEmail(answer: Answer): string | undefined {
  return (answer.body as { result?: { data?: { user?: { email?: string } } } }).result?.data?.user
    ?.email;
}

describe('the session cookie over HTTPS', () => {
  it('is __Host-trellis_session: Secure, Path=/, no Domain; the device cookie too', async () => {
    const server = await start(HTTPS);

    const { token, setCookies } = await signedInAccount(server);

    expect(cookieNamed(setCookies, 'trellis_session')).toBeUndefined();
    expect(cookieNamed(setCookies, '__Host-trellis_session')).toBe(
      `__Host-trellis_session=${token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=2592000; Secure`,
    );
    const device = cookieNamed(setCookies, '__Host-trellis_device') ?? '';
    expect(device).toMatch(/^__Host-trellis_device=trd_\w+; Path=\/; HttpOnly; SameSite=Strict; /);
    expect(device).toMatch(/; Secure$/);
    expect(setCookies.join('\n')).not.toMatch(/Domain=/i);
  });

  it('reads only __Host-trellis_session: a planted trellis_session is not a credential', async () => {
    const server = await start(HTTPS);
    const victim = await signedInAccount(server);
    const attacker = await signedInAccount(server);

    // A sibling subdomain (or a plain-HTTP page) sets `trellis_session` to the attacker's
    // session, hoping the victim's requests run as the attacker.
    const planted = await call(server, 'auth.me', {
      headers: { cookie: `trellis_session=${attacker.token}` },
    });
    const both = await call(server, 'auth.me', {
      headers: {
        cookie: `trellis_session=${attacker.token}; __Host-trellis_session=${victim.token}`,
      },
    });
    const own = await call(server, 'auth.me', {
      headers: { cookie: `__Host-trellis_session=${victim.token}` },
    });

    expect(planted.status).toBe(401);
    expect(userEmail(both)).toBe(victim.email);
    expect(userEmail(own)).toBe(victim.email);
  });

  it('is the cookie sign-out clears', async () => {
    const server = await start(HTTPS);
    const { token } = await signedInAccount(server);

    const signOut = await call(server, 'auth.signOut', {
      input: {},
      headers: { cookie: `__Host-trellis_session=${token}`, origin: `https://${server.host}` },
    });

    expect(signOut.status, JSON.stringify(signOut.body)).toBe(200);
    expect(signOut.setCookies).toEqual([
      '__Host-trellis_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure',
    ]);
    const after = await call(server, 'auth.me', { headers: { authorization: `Bearer ${token}` } });
    expect(after.status).toBe(401);
  });

  it('is also what a request to a non-loopback Host gets when COOKIE_SECURE is auto', async () => {
    const server = await start();
    const email = `host${++counter}@example.com`;

    const reply = await rawPost(server, '/trpc/auth.signUp', {
      host: 'trellis.example',
      body: { email, password: PASSWORD, name: 'Host' },
    });

    expect(reply.status).toBe(200);
    const names = reply.setCookies.map((c) => c.split('=')[0]);
    expect(names).toContain('__Host-trellis_session');
    expect(names).not.toContain('trellis_session');
  });
});

describe('the session cookie over plain HTTP on localhost', () => {
  it('is trellis_session, not Secure, and __Host-trellis_session is not read', async () => {
    const server = await start();

    const { email, token, setCookies } = await signedInAccount(server);

    expect(cookieNamed(setCookies, 'trellis_session')).toMatch(/; HttpOnly; SameSite=Lax; /);
    expect(cookieNamed(setCookies, 'trellis_session')).not.toMatch(/Secure/);
    expect(cookieNamed(setCookies, '__Host-trellis_session')).toBeUndefined();
    const plain = await call(server, 'auth.me', {
      headers: { cookie: `trellis_session=${token}` },
    });
    const prefixed = await call(server, 'auth.me', {
      headers: { cookie: `__Host-trellis_session=${token}` },
    });
    expect(userEmail(plain)).toBe(email);
    expect(prefixed.status).toBe(401);
  });
});

describe('the Origin check compares the scheme', () => {
  it('refuses a cookie mutation from http://<host> when the server is HTTPS', async () => {
    const server = await start(HTTPS);
    const { token } = await signedInAccount(server);
    const cookie = `__Host-trellis_session=${token}`;

    const fromHttp = await call(server, 'auth.signOut', {
      input: {},
      headers: { cookie, origin: `http://${server.host}` },
    });

    expect(fromHttp.status).toBe(403);
    expect(fromHttp.body).toMatchObject({ error: { data: { code: 'FORBIDDEN' } } });
    // Nothing happened: the session still works, and our own https:// page may sign out.
    const me = await call(server, 'auth.me', { headers: { cookie } });
    expect(me.status).toBe(200);
    const fromHttps = await call(server, 'auth.signOut', {
      input: {},
      headers: { cookie, origin: `https://${server.host}` },
    });
    expect(fromHttps.status).toBe(200);
  });

  it('refuses a sign-in posted from http://<host> to an HTTPS server (login CSRF), setting no cookie', async () => {
    const server = await start(HTTPS);
    const { email } = await signedInAccount(server);

    const answer = await call(server, 'auth.signIn', {
      input: { email, password: PASSWORD },
      headers: { origin: `http://${server.host}` },
    });

    expect(answer.status).toBe(403);
    expect(answer.setCookies).toEqual([]);
  });

  it('refuses a cookie mutation from https://<host> when the server is plain HTTP', async () => {
    const server = await start();
    const { token } = await signedInAccount(server);
    const cookie = `trellis_session=${token}`;

    const fromHttps = await call(server, 'auth.signOut', {
      input: {},
      headers: { cookie, origin: `https://${server.host}` },
    });
    const fromHttp = await call(server, 'auth.signOut', {
      input: {},
      headers: { cookie, origin: `http://${server.host}` },
    });

    expect(fromHttps.status).toBe(403);
    expect(fromHttp.status).toBe(200);
  });
});

describe('sign-in through OpenID Connect over HTTPS', () => {
  it('sets __Host-trellis_session, which then authenticates', async () => {
    const sub = 'secure-oidc';
    const email = 'secure-oidc@example.com';
    const { server } = await startWithProvider(HTTPS, {
      sub,
      email,
      email_verified: true,
      name: 'Sam Secure',
    });

    const callback = await oidcSignIn(server, sub);

    expect(callback.status).toBe(302);
    const session = cookieNamed(callback.setCookies, '__Host-trellis_session') ?? '';
    expect(session).toMatch(
      /^__Host-trellis_session=[^;]{20,}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+; Secure$/,
    );
    expect(cookieNamed(callback.setCookies, 'trellis_session')).toBeUndefined();
    const me = await call(server, 'auth.me', { headers: { cookie: session.split(';')[0] ?? '' } });
    expect(userEmail(me)).toBe(email);
  });
});

// ---------------------------------------------------------------------------------------
// Helpers: a request with its own Host header, and a minimal OIDC sign-in
// ---------------------------------------------------------------------------------------

/** A JSON POST through node:http, which (unlike fetch) sends the Host header it is given. */
function rawPost(
  server: TestServer,
  path: string,
  { host, body }: { host: string; body: unknown },
): Promise<{ status: number; setCookies: string[] }> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path,
        headers: { host, 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, setCookies: res.headers['set-cookie'] ?? [] }),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

const CLIENT_ID = 'trellis-secure-test';
const CLIENT_SECRET = 'another-client-secret-long-enough-for-hmac-0123456789';
const CALLBACK_PATH = '/auth/oauth/oidc/callback';

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

async function startWithProvider(
  overrides: Partial<ServerConfig>,
  account: { sub: string; email: string; email_verified: boolean; name: string },
): Promise<{ server: TestServer; provider: TestOidcProvider }> {
  // Another process may take the probed port before the server listens: try a few.
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    const provider = await startOidcProvider({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUris: [`${publicUrl}${CALLBACK_PATH}`],
      accounts: [account],
    });
    started.push(provider);
    try {
      const oidc = {
        issuer: provider.issuer,
        name: 'SSO',
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
      };
      const server = await start({
        ...overrides,
        port,
        publicUrl,
        oauth: { github: null, google: null, oidc },
      });
      return { server, provider };
    } catch (error) {
      const inUse = error instanceof Error && 'code' in error && error.code === 'EADDRINUSE';
      if (attempt >= 3 || !inUse) throw error;
    }
  }
}

function decodeEntities(text: string): string {
  return text
    .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) =>
      String.fromCodePoint(Number.parseInt(hex, 16)),
    )
    .replace(/&#(\d+);/g, (_, dec: string) => String.fromCodePoint(Number(dec)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/**
 * Walks a sign-in from our server through the provider's login and consent forms and
 * back to our callback, keeping cookies by name (both servers are on 127.0.0.1 and name
 * theirs differently); returns the callback's answer.
 */
async function oidcSignIn(
  server: TestServer,
  sub: string,
): Promise<{ status: number; setCookies: string[] }> {
  const jar = new Map<string, string>();
  let url = new URL(`${server.url}/auth/oauth/oidc?returnTo=/`);
  let form: URLSearchParams | undefined;
  for (let step = 0; step < 20; step += 1) {
    const headers: Record<string, string> = {
      cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; '),
    };
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(url, {
      method: form ? 'POST' : 'GET',
      headers,
      body: form?.toString(),
      redirect: 'manual',
    });
    const setCookies = response.headers.getSetCookie();
    for (const header of setCookies) {
      const [pair = ''] = header.split(';');
      const eq = pair.indexOf('=');
      if (/max-age=0(;|$)/i.test(header)) jar.delete(pair.slice(0, eq));
      else jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    const body = await response.text();
    if (url.origin === server.url && url.pathname === CALLBACK_PATH) {
      return { status: response.status, setCookies };
    }
    const location = response.headers.get('location');
    form = undefined;
    if (location) {
      url = new URL(location, url);
      continue;
    }
    const action = /<form\b[^>]*\baction="([^"]*)"/i.exec(body)?.[1];
    if (response.status !== 200 || action === undefined) {
      throw new Error(`unexpected ${response.status} at ${url}: ${body.slice(0, 300)}`);
    }
    form = new URLSearchParams();
    for (const input of body.matchAll(/<input\b([^>]*)>/gi)) {
      const name = /\bname="([^"]*)"/.exec(input[1] ?? '')?.[1];
      const value = /\bvalue="([^"]*)"/.exec(input[1] ?? '')?.[1] ?? '';
      if (name) form.set(name, decodeEntities(value));
    }
    if (form.get('prompt') === 'login') {
      form.set('login', sub);
      form.set('password', 'any password works here');
    }
    url = new URL(decodeEntities(action), url);
  }
  throw new Error('the sign-in did not come back within 20 hops');
}
