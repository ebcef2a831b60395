// The black-box contract of docs/api.md (../../../../docs/api.md) for HTTP itself:
// /healthz, malformed requests, batches, routes and methods, and the errors raised before
// any procedure runs.
// A real server on a loopback port, spoken to over raw HTTP: nothing here loads the API's
// code; the answers' types come from @trellis/client as types only.
import { describe, expect, it } from 'vitest';
import { accountsOn, uniqueEmail } from '../support/accounts.js';
import { serveThisFile } from '../support/http.js';
import {
  dataOf,
  type ErrorShape,
  errorIn,
  expectError,
  isRecord,
  type Me,
  PASSWORD,
  type Reply,
  sessionCookies,
  type Workspace,
} from '../support/wire.js';

const wire = serveThisFile();
const { query, mutate, send, rawHttp, rawSocket } = wire;
const { signUp, createWorkspace } = accountsOn(wire);

function batchPath(paths: readonly string[]): string {
  return `/trpc/${paths.join(',')}?batch=1`;
}

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

describe('GET /healthz', () => {
  it('answers 200 {"status":"ok"}', async () => {
    const reply = await send('/healthz');

    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    expect(reply.json).toEqual({ status: 'ok' });
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

  it.each([
    ['PUT with a JSON body', 'PUT', { 'content-type': 'application/json' }],
    ['PUT with no content type', 'PUT', {}],
    ['DELETE', 'DELETE', {}],
    ['PATCH with a JSON body', 'PATCH', { 'content-type': 'application/json' }],
  ])(
    'answers %s with 405 METHOD_NOT_SUPPORTED and Allow: GET, POST',
    async (_, method, headers) => {
      const reply = await send('/trpc/auth.signIn', {
        method,
        headers,
        ...(method === 'DELETE'
          ? {}
          : { body: JSON.stringify({ email: 'a@example.com', password: PASSWORD }) }),
      });

      expectError(reply, 405, 'METHOD_NOT_SUPPORTED');
      expect(reply.headers.get('allow')).toBe('GET, POST');
    },
  );
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
