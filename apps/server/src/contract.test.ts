// Black-box contract tests: a real server on a loopback port, spoken to over raw HTTP
// (fetch, plus node:http / node:net where fetch cannot express the request). Nothing here
// imports the API's code; the wire format of /work/shared/docs/API.md is the contract.
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './test/server.js';
import {
  type AuthResult,
  dataOf,
  type ErrorShape,
  errorIn,
  expectError,
  isRecord,
  PASSWORD,
  parseJson,
  type Reply,
  type User,
  type Workspace,
} from './test/wire.js';

// ---------------------------------------------------------------------------------------
// Wire types
// ---------------------------------------------------------------------------------------

interface Me {
  user: User;
  workspaces: { id: string; name: string; slug: string; role: string }[];
}

// ---------------------------------------------------------------------------------------
// Server and transport helpers
// ---------------------------------------------------------------------------------------

let server: TestServer;

/** Every status any request in this file received, with what was asked. */
const seen: { status: number; request: string }[] = [];

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.close();
});

function port(): number {
  return Number(new URL(server.url).port);
}

function record(request: string, reply: Reply): Reply {
  seen.push({ status: reply.status, request: request.slice(0, 200) });
  return reply;
}

/** A fetch to the test server, recorded in `seen`. */
async function send(path: string, init: RequestInit = {}): Promise<Reply> {
  const response = await fetch(`${server.url}${path}`, init);
  const text = await response.text();
  return record(`${init.method ?? 'GET'} ${path}`, {
    status: response.status,
    headers: response.headers,
    text,
    json: parseJson(text),
  });
}

interface CallOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Sent as the `trellis_session` cookie. */
  cookie?: string;
  /** Sent as the `Origin` header. */
  origin?: string;
  headers?: Record<string, string>;
}

function headersFor({ token, cookie, origin, headers }: CallOptions): Record<string, string> {
  const out: Record<string, string> = { ...headers };
  if (token !== undefined) out.authorization = `Bearer ${token}`;
  if (cookie !== undefined) out.cookie = `trellis_session=${cookie}`;
  if (origin !== undefined) out.origin = origin;
  return out;
}

/** A tRPC query: `GET /trpc/<path>?input=<json>`. */
function query(path: string, input?: unknown, options: CallOptions = {}): Promise<Reply> {
  const search = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  return send(`/trpc/${path}${search}`, { headers: headersFor(options) });
}

/** A tRPC mutation: `POST /trpc/<path>` with the JSON input as body. */
function mutate(path: string, input: unknown, options: CallOptions = {}): Promise<Reply> {
  return send(`/trpc/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headersFor(options) },
    body: JSON.stringify(input),
  });
}

interface RawRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** A node:http request, for headers fetch will not send as given (Host). */
function rawHttp({ method, path, headers = {}, body }: RawRequest): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: port(), method, path, headers, setHost: !('host' in headers) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const replyHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            for (const item of Array.isArray(value) ? value : [value ?? '']) {
              replyHeaders.append(name, item);
            }
          }
          resolve(
            record(`${method} ${path} (node:http)`, {
              status: res.statusCode ?? 0,
              headers: replyHeaders,
              text,
              json: parseJson(text),
            }),
          );
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Raw bytes over a socket, for requests no HTTP client would build (HTTP/1.0, no Host). */
function rawSocket(payload: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = connect(port(), '127.0.0.1', () => socket.write(payload));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const [head = '', ...rest] = raw.split('\r\n\r\n');
      const text = rest.join('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers = new Headers();
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
      }
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
      resolve(
        record(`raw socket ${payload.split('\r\n').slice(0, 2).join(' | ')}`, {
          status,
          headers,
          text,
          json: parseJson(text),
        }),
      );
    });
  });
}

// ---------------------------------------------------------------------------------------
// Assertion helpers
// ---------------------------------------------------------------------------------------

/** The `error` of a batch reply: either one envelope for the whole batch or one per call. */
function batchErrors(reply: Reply, status: number, code: string): ErrorShape[] {
  const body = reply.json;
  const envelopes = Array.isArray(body) ? body : [body];
  expect(envelopes.length).toBeGreaterThan(0);
  return envelopes.map((envelope) => errorIn(envelope, status, code));
}

/** `error.data.code` of an error body, if it has one. */
function errorCodeName(value: unknown): string | undefined {
  if (!isRecord(value) || !isRecord(value.error) || !isRecord(value.error.data)) return undefined;
  const { code } = value.error.data;
  return typeof code === 'string' ? code : undefined;
}

function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** The Set-Cookie values of a reply for the session cookie. */
function sessionCookies(reply: Reply): string[] {
  return reply.headers.getSetCookie().filter((value) => value.startsWith('trellis_session='));
}

// ---------------------------------------------------------------------------------------
// Domain helpers
// ---------------------------------------------------------------------------------------

let emailCounter = 0;

function uniqueEmail(tag: string): string {
  emailCounter += 1;
  return `${tag}-${emailCounter}-${process.pid}@example.com`;
}

interface Account {
  email: string;
  user: User;
  token: string;
}

async function signUp(tag = 'user'): Promise<Account> {
  const email = uniqueEmail(tag);
  const result = dataOf<AuthResult>(
    await mutate('auth.signUp', { email, password: PASSWORD, name: `Name ${tag}` }),
  );
  return { email, user: result.user, token: result.session.token };
}

async function signIn(email: string): Promise<string> {
  return dataOf<AuthResult>(await mutate('auth.signIn', { email, password: PASSWORD })).session
    .token;
}

let slugCounter = 0;

async function createWorkspace(token: string, name = 'Acme'): Promise<Workspace> {
  slugCounter += 1;
  return dataOf<Workspace>(
    await mutate(
      'workspaces.create',
      { name, slug: `ws-${slugCounter}-${process.pid}` },
      { token },
    ),
  );
}

function batchPath(paths: readonly string[]): string {
  return `/trpc/${paths.join(',')}?batch=1`;
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

describe('GET /healthz', () => {
  it('answers 200 {"status":"ok"}', async () => {
    const reply = await send('/healthz');

    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    expect(reply.json).toEqual({ status: 'ok' });
  });
});

describe('auth.signUp', () => {
  it('answers 200 with the user and a session token, and sets the session cookie', async () => {
    const email = uniqueEmail('signup');
    const before = Date.now();
    const reply = await mutate('auth.signUp', { email, password: PASSWORD, name: 'Ada Lovelace' });
    const result = dataOf<AuthResult>(reply);

    expect(result.user).toMatchObject({ id: expect.any(String), email, name: 'Ada Lovelace' });
    expect(result.session.token).toMatch(/^[a-z2-9]+\.[a-z2-9]+$/);
    const expiresAt = Date.parse(result.session.expiresAt);
    expect(expiresAt).toBeGreaterThan(before);

    const cookies = sessionCookies(reply);
    expect(cookies).toHaveLength(1);
    const [pair = '', ...attributes] = (cookies[0] ?? '').split(';').map((part) => part.trim());
    expect(pair).toBe(`trellis_session=${result.session.token}`);
    const names = attributes.map((attribute) => attribute.split('=')[0]?.toLowerCase());
    expect(names).toContain('httponly');
    expect(attributes).toContain('SameSite=Lax');
    expect(attributes).toContain('Path=/');
    const maxAge = attributes.find((attribute) => /^max-age=/i.test(attribute));
    expect(maxAge).toMatch(/^Max-Age=[1-9]\d*$/);
    expect(names).not.toContain('secure');
  });

  it('makes a token that authenticates auth.me by bearer and by cookie', async () => {
    const account = await signUp('me');

    const byBearer = dataOf<Me>(await query('auth.me', undefined, { token: account.token }));
    const byCookie = dataOf<Me>(await query('auth.me', undefined, { cookie: account.token }));

    expect(byBearer).toEqual({
      user: { ...account.user, emailVerified: expect.any(Boolean), hasPassword: true },
      workspaces: [],
    });
    expect(byCookie).toEqual(byBearer);
  });

  it('marks the cookie Secure, named __Host-trellis_session, when the request is not addressed to a loopback host', async () => {
    const reply = await rawHttp({
      method: 'POST',
      path: '/trpc/auth.signUp',
      headers: { host: 'trellis.example', 'content-type': 'application/json' },
      body: JSON.stringify({ email: uniqueEmail('secure'), password: PASSWORD, name: 'S' }),
    });

    expect(reply.status, reply.text).toBe(200);
    expect(sessionCookies(reply)).toEqual([]);
    const cookie =
      reply.headers.getSetCookie().find((value) => value.startsWith('__Host-trellis_session=')) ??
      '';
    expect(cookie.split(';').map((part) => part.trim())).toContain('Secure');
  });

  it('refuses a duplicate email in another letter case with 409 CONFLICT', async () => {
    const account = await signUp('dup');

    const reply = await mutate('auth.signUp', {
      email: account.email.toUpperCase(),
      password: PASSWORD,
      name: 'Again',
    });

    const error = expectError(reply, 409, 'CONFLICT');
    expect(error.data.path).toBe('auth.signUp');
    expect(sessionCookies(reply)).toEqual([]);
  });

  it('refuses a 9-character password with 400 and data.fieldErrors.password', async () => {
    const reply = await mutate('auth.signUp', {
      email: uniqueEmail('short'),
      password: '123456789',
      name: 'Shorty',
    });

    const error = expectError(reply, 400, 'BAD_REQUEST');
    expect(error.data.fieldErrors?.password).toEqual([expect.any(String)]);
    expect(Object.keys(error.data.fieldErrors ?? {})).toEqual(['password']);
  });

  it('refuses a 257-character password with 400 and data.fieldErrors.password', async () => {
    const reply = await mutate('auth.signUp', {
      email: uniqueEmail('long'),
      password: 'x'.repeat(257),
      name: 'Longy',
    });

    const error = expectError(reply, 400, 'BAD_REQUEST');
    expect(Object.keys(error.data.fieldErrors ?? {})).toEqual(['password']);
  });

  it('refuses unknown input keys with 400 naming each key in fieldErrors', async () => {
    const reply = await mutate('auth.signUp', {
      email: uniqueEmail('extra'),
      password: PASSWORD,
      name: 'Extra',
      isAdmin: true,
      role: 'owner',
    });

    const error = expectError(reply, 400, 'BAD_REQUEST');
    expect(error.data.fieldErrors).toEqual({
      isAdmin: [expect.any(String)],
      role: [expect.any(String)],
    });
    expect(error.message).toContain('isAdmin');
  });

  it('refuses a POST without body or content-type with 415', async () => {
    const reply = await send('/trpc/auth.signUp', { method: 'POST' });

    // The Content-Type of this answer is checked in 'request-level errors' below.
    expect(reply.status, reply.text).toBe(415);
    errorIn(reply.json, 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(sessionCookies(reply)).toEqual([]);
  });

  it('refuses a JSON null input with 400 and a field error on the whole input', async () => {
    const reply = await send('/trpc/auth.signUp', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: 'null',
    });

    const error = expectError(reply, 400, 'BAD_REQUEST');
    expect(Object.keys(error.data.fieldErrors ?? {})).toEqual(['']);
  });
});

describe('auth.signIn', () => {
  it('signs in with the email in any letter case', async () => {
    const account = await signUp('signin');

    const reply = await mutate('auth.signIn', {
      email: account.email.toUpperCase(),
      password: PASSWORD,
    });

    const result = dataOf<AuthResult>(reply);
    expect(result.user).toMatchObject(account.user);
    expect(result.session.token).not.toBe(account.token);
    expect(sessionCookies(reply)).toHaveLength(1);
  });

  it('answers a wrong password and an unknown email identically with 401', async () => {
    const account = await signUp('wrongpw');

    const wrongPassword = await mutate('auth.signIn', {
      email: account.email,
      password: 'not the password at all',
    });
    const unknownEmail = await mutate('auth.signIn', {
      email: uniqueEmail('nobody'),
      password: 'not the password at all',
    });

    const error = expectError(wrongPassword, 401, 'UNAUTHORIZED');
    expect(error.data.path).toBe('auth.signIn');
    expect(unknownEmail.status).toBe(wrongPassword.status);
    expect(unknownEmail.text).toBe(wrongPassword.text);
    expect(unknownEmail.headers.get('content-type')).toBe(
      wrongPassword.headers.get('content-type'),
    );
    expect(sessionCookies(wrongPassword)).toEqual([]);
    expect(sessionCookies(unknownEmail)).toEqual([]);
  });
});

describe('auth.me', () => {
  it('answers 401 UNAUTHORIZED without credentials', async () => {
    const error = expectError(await query('auth.me'), 401, 'UNAUTHORIZED');

    expect(error.data.path).toBe('auth.me');
  });

  it('answers 401 for a forged token of the right shape', async () => {
    const account = await signUp('forged');
    const [id = ''] = account.token.split('.');
    const forged = `${id}.${'a'.repeat(32)}`;

    expectError(await query('auth.me', undefined, { token: forged }), 401, 'UNAUTHORIZED');
  });

  it('answers 401 and clears the cookie for an invalid cookie', async () => {
    const reply = await query('auth.me', undefined, { cookie: 'garbage' });

    expectError(reply, 401, 'UNAUTHORIZED');
    const [cleared = ''] = sessionCookies(reply);
    expect(cleared).toMatch(/^trellis_session=;/);
    expect(cleared).toMatch(/Max-Age=0/);
  });
});

describe('auth.signOut and auth.signOutEverywhere', () => {
  it('signOut kills the token at once; other sessions live on', async () => {
    const account = await signUp('signout');
    const other = await signIn(account.email);

    const reply = await mutate('auth.signOut', {}, { token: account.token });

    expect(dataOf<unknown>(reply)).toEqual({ ok: true });
    const error = expectError(
      await query('auth.me', undefined, { token: account.token }),
      401,
      'UNAUTHORIZED',
    );
    expect(error.data.path).toBe('auth.me');
    expectError(await mutate('auth.signOut', {}, { token: account.token }), 401, 'UNAUTHORIZED');
    expect(dataOf<Me>(await query('auth.me', undefined, { token: other })).user).toMatchObject(
      account.user,
    );
  });

  it('signOut with a cookie from our own origin clears the cookie', async () => {
    const account = await signUp('signout-cookie');

    const reply = await mutate(
      'auth.signOut',
      {},
      { cookie: account.token, origin: `http://${server.host}` },
    );

    expect(dataOf<unknown>(reply)).toEqual({ ok: true });
    const [cleared = ''] = sessionCookies(reply);
    expect(cleared).toMatch(/^trellis_session=;/);
    expect(cleared).toMatch(/Max-Age=0/);
    expectError(await query('auth.me', undefined, { cookie: account.token }), 401, 'UNAUTHORIZED');
  });

  it('signOutEverywhere reports how many sessions it revoked and kills them all', async () => {
    const account = await signUp('everywhere');
    const second = await signIn(account.email);
    const third = await signIn(account.email);
    const bystander = await signUp('bystander');

    const reply = await mutate('auth.signOutEverywhere', {}, { token: second });

    expect(dataOf<unknown>(reply)).toEqual({ revoked: 3 });
    for (const token of [account.token, second, third]) {
      expectError(await query('auth.me', undefined, { token }), 401, 'UNAUTHORIZED');
    }
    expect(
      dataOf<Me>(await query('auth.me', undefined, { token: bystander.token })).user,
    ).toMatchObject(bystander.user);
  });

  it('signOut refuses unknown input keys with 400', async () => {
    const account = await signUp('signout-strict');

    const error = expectError(
      await mutate('auth.signOut', { everywhere: true }, { token: account.token }),
      400,
      'BAD_REQUEST',
    );

    expect(Object.keys(error.data.fieldErrors ?? {})).toEqual(['everywhere']);
    expect(dataOf<Me>(await query('auth.me', undefined, { token: account.token })).user.id).toBe(
      account.user.id,
    );
  });
});

describe('auth.sessions', () => {
  it('revoking another user’s session answers 404 and leaves it alive', async () => {
    const alice = await signUp('sess-alice');
    const bob = await signUp('sess-bob');
    const [bobSessionId = ''] = bob.token.split('.');

    const reply = await mutate(
      'auth.sessions.revoke',
      { sessionId: bobSessionId },
      { token: alice.token },
    );

    expectError(reply, 404, 'NOT_FOUND');
    expect(dataOf<Me>(await query('auth.me', undefined, { token: bob.token })).user).toMatchObject(
      bob.user,
    );
  });
});

describe('workspaces across tenants', () => {
  it('answers 404 NOT_FOUND to a non-member exactly as for a nonexistent id', async () => {
    const alice = await signUp('ws-alice');
    const bob = await signUp('ws-bob');
    const workspace = await createWorkspace(alice.token, 'Alice Inc');
    const missing = 'does-not-exist-0000';

    const pairs: [string, Reply, Reply][] = [
      [
        'workspaces.get',
        await query('workspaces.get', { workspaceId: workspace.id }, { token: bob.token }),
        await query('workspaces.get', { workspaceId: missing }, { token: bob.token }),
      ],
      [
        'workspaces.update',
        await mutate(
          'workspaces.update',
          { workspaceId: workspace.id, name: 'Pwned' },
          { token: bob.token },
        ),
        await mutate(
          'workspaces.update',
          { workspaceId: missing, name: 'Pwned' },
          { token: bob.token },
        ),
      ],
      [
        'workspaces.delete',
        await mutate('workspaces.delete', { workspaceId: workspace.id }, { token: bob.token }),
        await mutate('workspaces.delete', { workspaceId: missing }, { token: bob.token }),
      ],
    ];

    for (const [path, foreign, nonexistent] of pairs) {
      const error = expectError(foreign, 404, 'NOT_FOUND');
      expect(error.data.path).toBe(path);
      expect(nonexistent.status).toBe(404);
      expect(nonexistent.json).toEqual(foreign.json);
      expect(error.message).not.toContain(workspace.id);
      expect(error.message).not.toContain('Alice');
    }

    const stillThere = dataOf<Workspace>(
      await query('workspaces.get', { workspaceId: workspace.id }, { token: alice.token }),
    );
    expect(stillThere).toMatchObject({ id: workspace.id, name: 'Alice Inc', role: 'owner' });
    expect(
      dataOf<Workspace[]>(await query('workspaces.list', undefined, { token: bob.token })),
    ).toEqual([]);
  });

  it('lets the owner get, rename and delete the workspace', async () => {
    const owner = await signUp('ws-owner');
    const workspace = await createWorkspace(owner.token, 'Before');

    const renamed = dataOf<Workspace>(
      await mutate(
        'workspaces.update',
        { workspaceId: workspace.id, name: 'After' },
        { token: owner.token },
      ),
    );
    expect(renamed).toMatchObject({ id: workspace.id, name: 'After', role: 'owner' });

    expect(
      dataOf<unknown>(
        await mutate('workspaces.delete', { workspaceId: workspace.id }, { token: owner.token }),
      ),
    ).toEqual({ ok: true });
    expectError(
      await query('workspaces.get', { workspaceId: workspace.id }, { token: owner.token }),
      404,
      'NOT_FOUND',
    );
  });

  it('refuses a duplicate slug with 409 CONFLICT', async () => {
    const owner = await signUp('ws-slug');
    const workspace = await createWorkspace(owner.token);

    const reply = await mutate(
      'workspaces.create',
      { name: 'Copy', slug: workspace.slug },
      { token: owner.token },
    );

    expectError(reply, 409, 'CONFLICT');
  });

  it('refuses an unknown key on workspaces.get with 400 naming it', async () => {
    const owner = await signUp('ws-strict');
    const workspace = await createWorkspace(owner.token);

    const error = expectError(
      await query(
        'workspaces.get',
        { workspaceId: workspace.id, include: 'secrets' },
        { token: owner.token },
      ),
      400,
      'BAD_REQUEST',
    );

    expect(Object.keys(error.data.fieldErrors ?? {})).toEqual(['include']);
  });

  it('refuses a non-string workspaceId with 400 and fieldErrors.workspaceId', async () => {
    const owner = await signUp('ws-type');

    const error = expectError(
      await query('workspaces.get', { workspaceId: 42 }, { token: owner.token }),
      400,
      'BAD_REQUEST',
    );

    expect(Object.keys(error.data.fieldErrors ?? {})).toEqual(['workspaceId']);
  });
});

describe('cookie-authenticated mutations (CSRF)', () => {
  async function cookieCreate(cookie: string, headers: Record<string, string>): Promise<Reply> {
    slugCounter += 1;
    return mutate(
      'workspaces.create',
      { name: 'Csrf', slug: `csrf-${slugCounter}-${process.pid}` },
      { cookie, headers },
    );
  }

  async function workspaceCount(token: string): Promise<number> {
    return dataOf<Workspace[]>(await query('workspaces.list', undefined, { token })).length;
  }

  it('refuses a foreign Origin with 403 FORBIDDEN and changes nothing', async () => {
    const account = await signUp('csrf-evil');

    const reply = await cookieCreate(account.token, { origin: 'https://evil.example' });

    const error = expectError(reply, 403, 'FORBIDDEN');
    expect(error.data.path).toBe('workspaces.create');
    expect(await workspaceCount(account.token)).toBe(0);
  });

  it('refuses a request with no Origin with 403 FORBIDDEN', async () => {
    const account = await signUp('csrf-none');

    expectError(await cookieCreate(account.token, {}), 403, 'FORBIDDEN');
    expect(await workspaceCount(account.token)).toBe(0);
  });

  it('accepts our own Origin with 200', async () => {
    const account = await signUp('csrf-same');

    const workspace = dataOf<Workspace>(
      await cookieCreate(account.token, { origin: `http://${server.host}` }),
    );

    expect(workspace).toMatchObject({ name: 'Csrf', role: 'owner' });
    expect(await workspaceCount(account.token)).toBe(1);
  });

  it.each([
    ['the literal null origin', { origin: 'null' }],
    ['a look-alike host', { origin: 'http://127.0.0.1.evil.example' }],
    ['our host on another port', { origin: 'http://127.0.0.1:1' }],
    ['Sec-Fetch-Site: cross-site without Origin', { 'sec-fetch-site': 'cross-site' }],
  ])('refuses %s with 403', async (_label, headers) => {
    const account = await signUp('csrf-more');

    expectError(await cookieCreate(account.token, headers), 403, 'FORBIDDEN');
    expect(await workspaceCount(account.token)).toBe(0);
  });

  it('refuses a cross-site signOut, so the session survives', async () => {
    const account = await signUp('csrf-signout');

    const reply = await mutate(
      'auth.signOut',
      {},
      { cookie: account.token, origin: 'https://evil.example' },
    );

    expectError(reply, 403, 'FORBIDDEN');
    expect(
      dataOf<Me>(await query('auth.me', undefined, { token: account.token })).user,
    ).toMatchObject(account.user);
  });

  it('refuses a sign-in from a foreign Origin (login CSRF) with 403 and no cookie', async () => {
    const account = await signUp('csrf-login');

    const reply = await mutate(
      'auth.signIn',
      { email: account.email, password: PASSWORD },
      { origin: 'https://evil.example' },
    );

    expectError(reply, 403, 'FORBIDDEN');
    expect(sessionCookies(reply)).toEqual([]);
  });
});

describe('malformed requests', () => {
  it('answers a malformed JSON body with 400', async () => {
    const reply = await send('/trpc/auth.signIn', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"email": "a@example.com", "password": ',
    });

    expect(reply.status).toBe(400);
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    const error = errorIn(reply.json, 400, 'BAD_REQUEST');
    expect(error.message).not.toMatch(/at .*:\d+/);
  });

  it('answers GET ?input=%7Bbad with 400', async () => {
    const account = await signUp('badquery');

    const reply = await send('/trpc/workspaces.get?input=%7Bbad', {
      headers: { authorization: `Bearer ${account.token}` },
    });

    expectError(reply, 400, 'BAD_REQUEST');
  });

  it('answers a text/plain body with 415', async () => {
    const reply = await send('/trpc/auth.signIn', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ email: 'a@example.com', password: PASSWORD }),
    });

    expectError(reply, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers a multipart body (what a cross-site form can send) with 400 and no session', async () => {
    const account = await signUp('multipart');
    const form = new FormData();
    form.set('email', account.email);
    form.set('password', PASSWORD);

    const reply = await send('/trpc/auth.signIn', { method: 'POST', body: form });

    expectError(reply, 400, 'BAD_REQUEST');
    expect(sessionCookies(reply)).toEqual([]);
  });

  it('answers a form-encoded body with 415', async () => {
    const reply = await send('/trpc/auth.signIn', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'email=a%40example.com&password=x',
    });

    expectError(reply, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers a 5 MB body with 413', async () => {
    const body = JSON.stringify({
      email: uniqueEmail('huge'),
      password: PASSWORD,
      name: 'x'.repeat(5 * 1024 * 1024),
    });

    const reply = await rawHttp({
      method: 'POST',
      path: '/trpc/auth.signUp',
      headers: { 'content-type': 'application/json', 'content-length': String(body.length) },
      body,
    });

    expectError(reply, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('answers an invalid percent-encoding in the path with 400', async () => {
    const reply = await send('/trpc/auth.me%25E0%25A4%25A');

    expect(reply.status, reply.text).toBe(400);
    errorIn(reply.json, 400, 'BAD_REQUEST');
  });

  it.each(['127.0.0.1:99999', 'exa mple', '[::1'])(
    'answers a request with the unparseable Host %j with 400, never 500',
    async (host) => {
      const reply = await rawSocket(
        `GET /trpc/auth.me HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      );

      expect(reply.status, reply.text).toBe(400);
      errorIn(reply.json, 400, 'BAD_REQUEST');
    },
  );

  it('answers an HTTP/1.0 request without Host like any other (401 for auth.me)', async () => {
    const reply = await rawSocket('GET /trpc/auth.me HTTP/1.0\r\n\r\n');

    expectError(reply, 401, 'UNAUTHORIZED');
  });

  it.each(['__proto__', 'constructor', 'auth.__proto__', 'auth.toString', 'hasOwnProperty'])(
    'answers /trpc/%s with 404 NOT_FOUND',
    async (path) => {
      expectError(await query(path), 404, 'NOT_FOUND');
    },
  );

  it('answers a deeply nested JSON body with 400', async () => {
    const depth = 50_000;
    const reply = await send('/trpc/auth.signIn', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `${'['.repeat(depth)}${']'.repeat(depth)}`,
    });

    expectError(reply, 400, 'BAD_REQUEST');
  });
});

describe('batches', () => {
  it('answers a 50-call batch of auth.me with 200 and 50 results', async () => {
    const account = await signUp('batch50');

    const reply = await send(batchPath(Array(50).fill('auth.me')), {
      headers: { authorization: `Bearer ${account.token}` },
    });

    expect(reply.status, reply.text).toBe(200);
    const body = reply.json;
    if (!Array.isArray(body)) throw new Error(`not an array: ${reply.text.slice(0, 200)}`);
    expect(body).toHaveLength(50);
    for (const item of body) {
      expect(item).toMatchObject({ result: { data: { user: account.user, workspaces: [] } } });
    }
  });

  it('passes inputs by index in a GET batch', async () => {
    const owner = await signUp('batch-input');
    const workspace = await createWorkspace(owner.token, 'Batched');
    const input = encodeURIComponent(
      JSON.stringify({ 0: { workspaceId: workspace.id }, 1: { workspaceId: 'nope' } }),
    );

    const reply = await send(`${batchPath(['workspaces.get', 'workspaces.get'])}&input=${input}`, {
      headers: { authorization: `Bearer ${owner.token}` },
    });

    expect(reply.status).toBe(207);
    const body = reply.json;
    if (!Array.isArray(body)) throw new Error(`not an array: ${reply.text}`);
    expect(body[0]).toMatchObject({ result: { data: { id: workspace.id, name: 'Batched' } } });
    errorIn(body[1], 404, 'NOT_FOUND');
  });

  it('refuses a 51-call GET batch with 413 (API.md: batch over the limit)', async () => {
    const account = await signUp('batch51');

    const reply = await send(batchPath(Array(51).fill('auth.me')), {
      headers: { authorization: `Bearer ${account.token}` },
    });

    expect(reply.status, reply.text).toBe(413);
    batchErrors(reply, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('refuses a 51-call POST batch with 413 and runs none of it', async () => {
    const account = await signUp('batch51post');
    const inputs = Object.fromEntries(
      Array.from({ length: 51 }, (_, i) => [i, { name: 'B', slug: `b51-${i}-${process.pid}` }]),
    );

    const reply = await send(batchPath(Array(51).fill('workspaces.create')), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${account.token}` },
      body: JSON.stringify(inputs),
    });

    expect(reply.status, reply.text).toBe(413);
    batchErrors(reply, 413, 'PAYLOAD_TOO_LARGE');
    expect(
      dataOf<Workspace[]>(await query('workspaces.list', undefined, { token: account.token })),
    ).toEqual([]);
  });

  it('refuses a 2000-call GET batch of auth.me with a 4xx', async () => {
    const account = await signUp('batch2000');

    const reply = await send(batchPath(Array(2000).fill('auth.me')), {
      headers: { authorization: `Bearer ${account.token}` },
    });

    expect(reply.status).toBeGreaterThanOrEqual(400);
    expect(reply.status).toBeLessThan(500);
  });

  it('refuses a 2000-call POST batch of workspaces.create with a 4xx and creates nothing', async () => {
    const account = await signUp('batch2000post');
    const inputs = Object.fromEntries(
      Array.from({ length: 2000 }, (_, i) => [i, { name: 'B', slug: `b2k-${i}-${process.pid}` }]),
    );

    const reply = await send(batchPath(Array(2000).fill('workspaces.create')), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${account.token}` },
      body: JSON.stringify(inputs),
    });

    expect(reply.status).toBeGreaterThanOrEqual(400);
    expect(reply.status).toBeLessThan(500);
    expect(
      dataOf<Workspace[]>(await query('workspaces.list', undefined, { token: account.token })),
    ).toEqual([]);
  });

  it('refuses a batch whose input is not an object with 400', async () => {
    const account = await signUp('batch-scalar');

    const reply = await send(`${batchPath(['workspaces.get'])}&input=1`, {
      headers: { authorization: `Bearer ${account.token}` },
    });

    expect(reply.status, reply.text).toBe(400);
    batchErrors(reply, 400, 'BAD_REQUEST');
  });

  it('refuses a batch mixing queries and mutations with 400', async () => {
    const account = await signUp('batch-mixed');

    const reply = await send(batchPath(['auth.me', 'auth.signOut']), {
      headers: { authorization: `Bearer ${account.token}` },
    });

    expect(reply.status, reply.text).toBe(400);
    batchErrors(reply, 400, 'BAD_REQUEST');
    expect(
      dataOf<Me>(await query('auth.me', undefined, { token: account.token })).user,
    ).toMatchObject(account.user);
  });

  it('answers a 2000-call GET batch in the tRPC error shape', async () => {
    const account = await signUp('batch2000-shape');

    const reply = await send(batchPath(Array(2000).fill('auth.me')), {
      headers: { authorization: `Bearer ${account.token}` },
    });

    expect(reply.status).toBeGreaterThanOrEqual(400);
    expect(reply.status).toBeLessThan(500);
    errorIn(reply.json, reply.status, String(errorCodeName(reply.json)));
  });

  it('answers a 2000-call POST batch (too large for the HTTP parser) in the tRPC error shape', async () => {
    const reply = await send(batchPath(Array(2000).fill('workspaces.create')), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });

    expect(reply.status).toBe(431);
    errorIn(reply.json, 431, 'BAD_REQUEST');
  });

  it('refuses a 100-call batch that fits in the URL with 413 PAYLOAD_TOO_LARGE', async () => {
    const reply = await send(batchPath(Array(100).fill('auth.me')));

    expect(reply.status, reply.text).toBe(413);
    batchErrors(reply, 413, 'PAYLOAD_TOO_LARGE');
  });
});

describe('routes and methods', () => {
  it('answers an unknown route with a 404 JSON error', async () => {
    const reply = await send('/no/such/route');

    const error = expectError(reply, 404, 'NOT_FOUND');
    expect(error.message).toContain('/no/such/route');
  });

  it('answers an unknown procedure with a 404 JSON error', async () => {
    const error = expectError(await query('auth.nope'), 404, 'NOT_FOUND');

    expect(error.data.path).toBe('auth.nope');
  });

  it('answers GET on a mutation with 405 METHOD_NOT_SUPPORTED', async () => {
    const account = await signUp('get-mutation');

    const reply = await query('auth.signOut', {}, { token: account.token });

    expectError(reply, 405, 'METHOD_NOT_SUPPORTED');
    expect(
      dataOf<Me>(await query('auth.me', undefined, { token: account.token })).user,
    ).toMatchObject(account.user);
  });

  it('answers POST on a query with 405 METHOD_NOT_SUPPORTED', async () => {
    const account = await signUp('post-query');

    expectError(await mutate('auth.me', {}, { token: account.token }), 405, 'METHOD_NOT_SUPPORTED');
  });

  it('answers PUT on a mutation with 405 METHOD_NOT_SUPPORTED', async () => {
    const reply = await send('/trpc/auth.signIn', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'a@example.com', password: PASSWORD }),
    });

    expectError(reply, 405, 'METHOD_NOT_SUPPORTED');
  });
});

describe('request-level errors', () => {
  // Errors raised before any procedure runs (bad batch, missing content type) must still
  // be labelled as the JSON they are.
  it.each([
    ['a POST without content-type', '/trpc/auth.signUp', { method: 'POST' }, 415],
    ['a 51-call batch', batchPath(Array(51).fill('auth.me')), {}, 413],
    ['a batch mixing a query and a mutation', batchPath(['auth.me', 'auth.signOut']), {}, 400],
  ] satisfies [string, string, RequestInit, number][])(
    'answers %s with Content-Type application/json',
    async (_label, path, init, status) => {
      const reply = await send(path, init);

      expect(reply.status).toBe(status);
      expect(reply.json).toBeDefined();
      expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    },
  );
});

describe('session storage', () => {
  it('never stores a raw token or its secret; secret_hash is sha256 of the secret', async () => {
    const tokens: string[] = [];
    for (const tag of ['store-a', 'store-b', 'store-c']) {
      const account = await signUp(tag);
      tokens.push(account.token, await signIn(account.email), await signIn(account.email));
    }

    const rows = await server.db.selectFrom('sessions').selectAll().execute();
    const dump = JSON.stringify(rows);

    expect(tokens).toHaveLength(9);
    for (const token of tokens) {
      const [id = '', secret = ''] = token.split('.');
      expect(id).not.toBe('');
      expect(secret.length).toBeGreaterThanOrEqual(16);
      expect(dump).not.toContain(token);
      expect(dump).not.toContain(secret);
      const row = rows.find((candidate) => candidate.id === id);
      expect(row, `no session row for ${id}`).toBeDefined();
      expect(row?.secret_hash).toBe(sha256Hex(secret));
    }
  });
});

describe('server errors', () => {
  it('no request in this file was answered with a 5xx', () => {
    expect(seen.length).toBeGreaterThan(50);
    expect(seen.filter(({ status }) => status >= 500)).toEqual([]);
  });
});
