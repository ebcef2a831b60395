// The session cookie's name and the Origin check follow the server's scheme, over real
// HTTP. Over HTTPS (COOKIE_SECURE=true, or a Host that is not loopback) the cookie is
// `__Host-trellis_session`: browsers accept that name only from a Secure, Path=/,
// Domain-less Set-Cookie, so a sibling subdomain or a plain-HTTP page cannot plant one, and
// the server reads no other. And a page at http://<host> is not the origin https://<host>.
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerConfig } from '../src/config.js';
import { Browser } from './support/browser.js';
import { wireTo } from './support/http.js';
import { signInThrough, startOidcServers } from './support/oidc-sign-in.js';
import { startTestServer, type TestServer } from './support/server.js';
import { type AuthResult, dataOf, PASSWORD, type Reply } from './support/wire.js';

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

/** One tRPC call over HTTP; a mutation when `input` is given. */
function call(
  server: TestServer,
  path: string,
  { input, headers = {} }: { input?: unknown; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const { query, mutate } = wireTo(server);
  return input === undefined
    ? query(path, undefined, { headers })
    : mutate(path, input, { headers });
}

let counter = 0;
/** A new account, signed in once more: returns its email and the sign-in's Set-Cookie headers. */
async function signedInAccount(server: TestServer) {
  counter += 1;
  const email = `cookie${counter}@example.com`;
  const signUp = await call(server, 'auth.signUp', {
    input: { email, password: PASSWORD, name: 'Cookie' },
  });
  expect(signUp.status, signUp.text).toBe(200);
  const signIn = await call(server, 'auth.signIn', { input: { email, password: PASSWORD } });
  const { session } = dataOf<AuthResult>(signIn);
  return { email, token: session.token, setCookies: signIn.headers.getSetCookie() };
}

function cookieNamed(setCookies: string[], name: string): string | undefined {
  return setCookies.find((header) => header.startsWith(`${name}=`));
}

function userEmail(answer: Reply): string | undefined {
  return (answer.json as { result?: { data?: { user?: { email?: string } } } }).result?.data?.user
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

    expect(signOut.status, signOut.text).toBe(200);
    expect(signOut.headers.getSetCookie()).toEqual([
      '__Host-trellis_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure',
    ]);
    const after = await call(server, 'auth.me', { headers: { authorization: `Bearer ${token}` } });
    expect(after.status).toBe(401);
  });

  it('is also what a request to a non-loopback Host gets when COOKIE_SECURE is auto', async () => {
    const server = await start();
    const email = `host${++counter}@example.com`;

    // node:http, which (unlike fetch) sends the Host header it is given.
    const reply = await wireTo(server).rawHttp({
      method: 'POST',
      path: '/trpc/auth.signUp',
      headers: { host: 'trellis.example', 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD, name: 'Host' }),
    });

    expect(reply.status).toBe(200);
    const names = reply.headers.getSetCookie().map((c) => c.split('=')[0]);
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
    expect(fromHttp.json).toMatchObject({ error: { data: { code: 'FORBIDDEN' } } });
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
    expect(answer.headers.getSetCookie()).toEqual([]);
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
    const account = { sub, email, email_verified: true, name: 'Sam Secure' };
    const servers = await startOidcServers([account], HTTPS, start);
    started.push(servers.provider);

    const { callback } = await signInThrough(servers, new Browser(), account, '/');
    const { server } = servers;

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
