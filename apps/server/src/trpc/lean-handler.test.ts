import { DEFAULT_RATE_LIMITS } from '@trellis/auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filled, HANDLERS, named } from '../../test/support/handlers.js';
import { type RawRequest, wireTo } from '../../test/support/http.js';
import { startTestServer, type TestServer } from '../../test/support/server.js';
import { PASSWORD, type Reply } from '../../test/support/wire.js';
import type { TrpcHandlerKind } from './index.js';

// The lean tRPC handler against tRPC's own Fastify adapter: two servers over identical
// databases and a fixed clock receive the same requests, and every answer (status, the
// headers clients read, the body) must be the same once each server's random ids and
// tokens are replaced by names. client-links.test.ts runs tRPC's own clients against it,
// handler.test.ts the corners the Trellis router cannot reach.

const NOW = new Date('2031-05-06T07:08:09.000Z');

/** One server and the random values its fixture produced, by the name tests use. */
interface Side {
  server: TestServer;
  values: Record<string, string>;
}

const sides = {} as Record<TrpcHandlerKind, Side>;

/** A request node:http sends exactly as given, to one side's server. */
function raw(server: TestServer, request: RawRequest): Promise<Reply> {
  return wireTo(server).rawHttp(request);
}

function post(server: TestServer, path: string, input: unknown, token?: string) {
  return raw(server, {
    method: 'POST',
    path: `/trpc/${path}`,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(input),
  });
}

function resultData(reply: Reply): Record<string, unknown> {
  const parsed = reply.json as { result?: { data?: Record<string, unknown> } } | undefined;
  if (reply.status !== 200 || !parsed?.result?.data) {
    throw new Error(`fixture call failed: ${reply.status} ${reply.text}`);
  }
  return parsed.result.data;
}

/** The same users, workspace, project and task on a server, created the same way. */
async function fixture(server: TestServer): Promise<Record<string, string>> {
  const signUp = async (email: string) => {
    const data = resultData(
      await post(server, 'auth.signUp', { email, password: PASSWORD, name: 'Ada' }),
    );
    const { user, session } = data as { user: { id: string }; session: { token: string } };
    return { userId: user.id, token: session.token };
  };
  const owner = await signUp('owner@example.com');
  const stranger = await signUp('stranger@example.com');
  const limited = await signUp('limited@example.com');
  const workspace = resultData(
    await post(server, 'workspaces.create', { name: 'Acme', slug: 'acme' }, owner.token),
  );
  const project = resultData(
    await post(
      server,
      'projects.create',
      { workspaceId: workspace.id, name: 'Core', key: 'CORE' },
      owner.token,
    ),
  );
  const task = resultData(
    await post(server, 'tasks.create', { projectId: project.id, title: 'First' }, owner.token),
  );
  return {
    token: owner.token,
    user: owner.userId,
    session: owner.token.split('.')[0] ?? '',
    strangerToken: stranger.token,
    stranger: stranger.userId,
    strangerSession: stranger.token.split('.')[0] ?? '',
    limited: limited.userId,
    limitedSession: limited.token.split('.')[0] ?? '',
    limitedToken: limited.token,
    ws: String(workspace.id),
    project: String(project.id),
    task: String(task.id),
  };
}

beforeAll(async () => {
  for (const handler of HANDLERS) {
    const server = await startTestServer(
      { trpcHandler: handler, rateLimits: DEFAULT_RATE_LIMITS },
      { clock: () => NOW },
    );
    sides[handler] = { server, values: await fixture(server) };
  }
});

afterAll(async () => {
  for (const handler of HANDLERS) await sides[handler]?.server.close();
});

/**
 * A streamed batch (JSON lines) sends its head, then one line per call as each call
 * finishes: in whatever order the database answers (on PostgreSQL, concurrent calls finish
 * in any order). The lines after the head are compared as a set.
 */
function withChunksSorted(text: string): string {
  const [head, ...chunks] = text.split('\n');
  return chunks.length < 2 ? text : [head, ...chunks.filter(Boolean).sort(), ''].join('\n');
}

/** What a client can observe of an answer, with this side's random values named. */
function observe(reply: Reply, values: Record<string, string>) {
  const text = withChunksSorted(named(reply.text, values));
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (HEAD, an event stream): compared as text.
  }
  return {
    status: reply.status,
    contentType: reply.headers.get('content-type'),
    vary: reply.headers.get('vary'),
    retryAfter: reply.headers.get('retry-after'),
    setCookie: reply.headers.getSetCookie().map((cookie) => named(cookie, values)),
    body,
  };
}

interface Case {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

const json = { 'content-type': 'application/json' };
const owner = { authorization: 'Bearer {token}' };
const q = (input: unknown) => encodeURIComponent(JSON.stringify(input));

const CASES: Record<string, Case> = {
  'query success (tasks.get)': {
    method: 'GET',
    path: `/trpc/tasks.get?input=${q({ taskId: '{task}' })}`,
    headers: owner,
  },
  'query success (tasks.list)': {
    method: 'GET',
    path: `/trpc/tasks.list?input=${q({ workspaceId: '{ws}', status: ['todo'] })}`,
    headers: owner,
  },
  'query success without input (auth.me)': { method: 'GET', path: '/trpc/auth.me', headers: owner },
  'query with an empty input parameter': {
    method: 'GET',
    path: '/trpc/auth.me?input=',
    headers: owner,
  },
  'query with a content-type header': {
    method: 'GET',
    path: '/trpc/auth.me',
    headers: { ...owner, 'content-type': 'text/plain' },
  },
  'query with an unencoded + and space-like input': {
    method: 'GET',
    path: '/trpc/tasks.get?input={"taskId":"a+b"}',
    headers: owner,
  },
  'query with the input parameter twice': {
    method: 'GET',
    path: `/trpc/tasks.get?input=${q({ taskId: '{task}' })}&input=${q({ taskId: 'x' })}`,
    headers: owner,
  },
  'mutation success with Set-Cookie (auth.signIn)': {
    method: 'POST',
    path: '/trpc/auth.signIn',
    headers: json,
    body: JSON.stringify({ email: 'stranger@example.com', password: PASSWORD }),
  },
  'mutation with a charset in the content type': {
    method: 'POST',
    path: '/trpc/tasks.update',
    headers: { ...owner, 'content-type': 'Application/JSON; charset=utf-8' },
    body: JSON.stringify({ taskId: '{task}', title: 'Renamed' }),
  },
  'mutation body with a byte-order mark': {
    method: 'POST',
    path: '/trpc/tasks.update',
    headers: { ...owner, ...json },
    body: `\uFEFF${JSON.stringify({ taskId: '{task}', title: 'Bom' })}`,
  },
  'validation error with field errors': {
    method: 'POST',
    path: '/trpc/auth.signUp',
    headers: json,
    body: JSON.stringify({ email: 'x@example.com', password: 'short', name: 'X', extra: 1 }),
  },
  'validation error on a query': {
    method: 'GET',
    path: `/trpc/tasks.list?input=${q({ workspaceId: '{ws}', limit: 0 })}`,
    headers: owner,
  },
  'JSON null input': { method: 'POST', path: '/trpc/auth.signUp', headers: json, body: 'null' },
  'auth error (no credentials)': { method: 'GET', path: '/trpc/auth.me' },
  'auth error with a cleared cookie': {
    method: 'GET',
    path: '/trpc/auth.me',
    headers: { cookie: 'trellis_session=garbage' },
  },
  'auth error wins over a malformed input': {
    method: 'GET',
    path: '/trpc/tasks.get?input=%7Bbad',
  },
  'not found for another tenant': {
    method: 'GET',
    path: `/trpc/tasks.get?input=${q({ taskId: '{task}' })}`,
    headers: { authorization: 'Bearer {strangerToken}' },
  },
  'malformed GET input': {
    method: 'GET',
    path: '/trpc/tasks.get?input=%7Bbad',
    headers: owner,
  },
  'malformed JSON body': {
    method: 'POST',
    path: '/trpc/auth.signIn',
    headers: json,
    body: '{"email": "a@example.com", "password": ',
  },
  'empty JSON body': { method: 'POST', path: '/trpc/auth.signIn', headers: json, body: '' },
  'deeply nested JSON body': {
    method: 'POST',
    path: '/trpc/auth.signIn',
    headers: json,
    body: `${'['.repeat(50_000)}${']'.repeat(50_000)}`,
  },
  'unknown procedure': { method: 'GET', path: '/trpc/auth.nope', headers: owner },
  'prototype key as a path': { method: 'GET', path: '/trpc/__proto__' },
  'prototype key as a nested path': { method: 'GET', path: '/trpc/auth.toString' },
  'percent-encoded path': { method: 'GET', path: '/trpc/auth%2Eme', headers: owner },
  'invalid percent-encoding in the path': { method: 'GET', path: '/trpc/auth.me%25E0%25A4%25A' },
  'mutation via GET': {
    method: 'GET',
    path: `/trpc/auth.signOut?input=${q({})}`,
    headers: owner,
  },
  'query via POST': {
    method: 'POST',
    path: '/trpc/auth.me',
    headers: { ...owner, ...json },
    body: '{}',
  },
  'unknown procedure via POST': {
    method: 'POST',
    path: '/trpc/auth.nope',
    headers: json,
    body: '{}',
  },
  PUT: { method: 'PUT', path: '/trpc/auth.signIn', headers: json, body: '{}' },
  DELETE: { method: 'DELETE', path: '/trpc/auth.me', headers: owner },
  HEAD: { method: 'HEAD', path: '/trpc/auth.me', headers: owner },
  OPTIONS: { method: 'OPTIONS', path: '/trpc/auth.me' },
  'POST without content type': { method: 'POST', path: '/trpc/auth.signIn' },
  'POST text/plain': {
    method: 'POST',
    path: '/trpc/auth.signIn',
    headers: { 'content-type': 'text/plain' },
    body: '{}',
  },
  'POST octet-stream': {
    method: 'POST',
    path: '/trpc/auth.signIn',
    headers: { 'content-type': 'application/octet-stream' },
    body: '{}',
  },
  'GET multipart': {
    method: 'GET',
    path: '/trpc/auth.me',
    headers: { 'content-type': 'multipart/form-data; boundary=x' },
  },
  'POST multipart': {
    method: 'POST',
    path: '/trpc/auth.signIn',
    headers: { 'content-type': 'multipart/form-data; boundary=x' },
    body: '--x\r\nContent-Disposition: form-data; name="email"\r\n\r\na@example.com\r\n--x--\r\n',
  },
  'unparseable Host': { method: 'GET', path: '/trpc/auth.me', headers: { host: '[::1' } },
  'other Host (Secure cookie)': {
    method: 'POST',
    path: '/trpc/auth.signIn',
    headers: { ...json, host: 'trellis.example' },
    body: JSON.stringify({ email: 'stranger@example.com', password: PASSWORD }),
  },
  'cross-site cookie mutation': {
    method: 'POST',
    path: '/trpc/auth.signOut',
    headers: { ...json, cookie: 'trellis_session={strangerToken}', origin: 'https://evil.example' },
    body: '{}',
  },
  'batch of queries': {
    method: 'GET',
    path: `/trpc/auth.me,tasks.get,stats.overview?batch=1&input=${q({
      1: { taskId: '{task}' },
      2: { workspaceId: '{ws}' },
    })}`,
    headers: owner,
  },
  'batch with mixed results (207)': {
    method: 'GET',
    path: `/trpc/tasks.get,tasks.get,auth.nope?batch=1&input=${q({
      0: { taskId: '{task}' },
      1: { taskId: 'missing-task-0000' },
    })}`,
    headers: owner,
  },
  'batch whose calls all fail alike': {
    method: 'GET',
    path: `/trpc/tasks.get,tasks.get?batch=1&input=${q({
      0: { taskId: 'missing-task-0000' },
      1: { taskId: 'missing-task-0001' },
    })}`,
    headers: owner,
  },
  'batch of unknown procedures only': { method: 'GET', path: '/trpc/a.b,c.d?batch=1' },
  'batch with an empty path': { method: 'GET', path: '/trpc/auth.me,?batch=1', headers: owner },
  'batch whose input is not an object': {
    method: 'GET',
    path: '/trpc/tasks.get?batch=1&input=1',
    headers: owner,
  },
  'batch whose input is an array': {
    method: 'GET',
    path: `/trpc/tasks.get?batch=1&input=${q([{ taskId: '{task}' }])}`,
    headers: owner,
  },
  'batch with a malformed input': {
    method: 'GET',
    path: '/trpc/tasks.get,auth.me?batch=1&input=%7B',
    headers: owner,
  },
  'batch mixing a query and a mutation': {
    method: 'GET',
    path: '/trpc/auth.me,auth.signOut?batch=1',
    headers: owner,
  },
  'batch of mutations': {
    method: 'POST',
    path: '/trpc/tasks.update,tasks.update?batch=1',
    headers: { ...owner, ...json },
    body: JSON.stringify({
      0: { taskId: '{task}', title: 'One' },
      1: { taskId: '{task}', priority: 99 },
    }),
  },
  'batch of 50 (the limit)': {
    method: 'GET',
    path: `/trpc/${Array(50).fill('auth.me').join(',')}?batch=1`,
    headers: owner,
  },
  'batch over the limit (413)': {
    method: 'GET',
    path: `/trpc/${Array(51).fill('auth.me').join(',')}?batch=1`,
    headers: owner,
  },
  'batch=0 is not a batch': {
    method: 'GET',
    path: '/trpc/auth.me?batch=0',
    headers: owner,
  },
  'streaming batch (trpc-accept: application/jsonl)': {
    method: 'GET',
    path: `/trpc/auth.me,tasks.get?batch=1&input=${q({ 1: { taskId: '{task}' } })}`,
    headers: { ...owner, 'trpc-accept': 'application/jsonl' },
  },
  'streaming request that is not a batch': {
    method: 'GET',
    path: '/trpc/auth.me',
    headers: { ...owner, accept: 'text/html, application/jsonl' },
  },
  'another trpc-accept value': {
    method: 'GET',
    path: '/trpc/auth.me',
    headers: { ...owner, 'trpc-accept': 'application/json' },
  },
  'connection params': {
    method: 'GET',
    path: `/trpc/auth.me?connectionParams=${q({ a: 'b' })}`,
    headers: owner,
  },
  'malformed connection params': {
    method: 'GET',
    path: '/trpc/auth.me?connectionParams=%7B',
    headers: owner,
  },
  'subscription by POST': {
    method: 'POST',
    path: '/trpc/tasks.onChange',
    headers: { ...owner, ...json },
    body: JSON.stringify({ workspaceId: '{ws}' }),
  },
  'subscription without credentials': {
    method: 'GET',
    path: `/trpc/tasks.onChange?input=${q({ workspaceId: '{ws}' })}`,
  },
  'TRACE, a method Fetch forbids': {
    method: 'TRACE',
    path: '/trpc/auth.me',
    headers: owner,
  },
  'subscription in a batch': {
    method: 'GET',
    path: `/trpc/tasks.onChange?batch=1&input=${q({ 0: { workspaceId: '{ws}' } })}`,
    headers: owner,
  },
};

describe('the lean handler answers exactly as the official adapter', () => {
  it.each(Object.entries(CASES))('%s', async (_name, { method, path, headers = {}, body }) => {
    const seen: Record<string, unknown> = {};
    for (const handler of HANDLERS) {
      const { server, values } = sides[handler];
      const filledHeaders = Object.fromEntries(
        Object.entries(headers).map(([name, value]) => [name, filled(value, values)]),
      );
      const reply = await raw(server, {
        method,
        path: filled(path, values),
        headers: filledHeaders,
        body: body === undefined ? undefined : filled(body, values),
      });
      seen[handler] = observe(reply, values);
    }
    expect(seen.lean).toEqual(seen.official);
  });

  it('answers TRACE with 405, not the 500 of a Fetch Request that cannot be built', async () => {
    for (const handler of HANDLERS) {
      const reply = await raw(sides[handler].server, { method: 'TRACE', path: '/trpc/auth.me' });
      expect([handler, reply.status, reply.headers.get('allow')]).toEqual([
        handler,
        405,
        'GET, POST',
      ]);
      expect(reply.json).toMatchObject({ error: { data: { code: 'METHOD_NOT_SUPPORTED' } } });
    }
  });

  it('serves queries, mutations and batches itself, not through the adapter', async () => {
    // The adapter streams its answers (no Content-Length); the lean handler sends one buffer.
    const { server, values } = sides.lean;
    const answers = await Promise.all([
      raw(server, {
        method: 'GET',
        path: '/trpc/auth.me',
        headers: { authorization: `Bearer ${values.token}` },
      }),
      raw(server, { method: 'GET', path: '/trpc/auth.me,auth.nope?batch=1' }),
      raw(server, {
        method: 'POST',
        path: '/trpc/auth.signOut',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      }),
    ]);
    for (const answer of answers) expect(answer.headers.get('content-length')).not.toBeNull();
    const adapter = await raw(sides.official.server, { method: 'GET', path: '/trpc/auth.me' });
    expect(adapter.headers.get('content-length')).toBeNull();
  });

  it('answers a rate-limited sign-in with the same 429 and Retry-After', async () => {
    const seen: Record<string, unknown[]> = {};
    for (const handler of HANDLERS) {
      const { server, values } = sides[handler];
      const replies = [];
      for (let attempt = 0; attempt < 11; attempt += 1) {
        const reply = await post(server, 'auth.signIn', {
          email: 'limited@example.com',
          password: `wrong ${attempt}`,
        });
        replies.push(observe(reply, values));
      }
      seen[handler] = replies;
    }
    expect(seen.lean?.at(-1)).toMatchObject({ status: 429, retryAfter: expect.any(String) });
    expect(seen.lean).toEqual(seen.official);
  });
});
