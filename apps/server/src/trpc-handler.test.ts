import { request as httpRequest } from 'node:http';
import type { AppRouter } from '@trellis/api';
import { DEFAULT_RATE_LIMITS } from '@trellis/auth';
import { createClient, isTrellisError, type TrellisClient } from '@trellis/client';
import {
  createTRPCClient,
  httpBatchLink,
  httpLink,
  type TRPCClient,
  TRPCClientError,
  type TRPCLink,
} from '@trpc/client';
import { initTRPC, TRPCError, type TRPCProcedureType } from '@trpc/server';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startTestServer, type TestServer } from './test/server.js';
import { type TrpcHandlerKind, trpcPlugin } from './trpc-handler.js';

// The lean tRPC handler against tRPC's own Fastify adapter: two servers over identical
// databases and a fixed clock receive the same requests, and every answer (status, the
// headers clients read, the body) must be the same once each server's random ids and
// tokens are replaced by names. Then tRPC's own client links run against the lean one.

const HANDLERS = ['lean', 'official'] as const satisfies readonly TrpcHandlerKind[];
const PASSWORD = 'correct horse battery staple';
const NOW = new Date('2031-05-06T07:08:09.000Z');

/** One server and the random values its fixture produced, by the name tests use. */
interface Side {
  server: TestServer;
  values: Record<string, string>;
}

const sides = {} as Record<TrpcHandlerKind, Side>;

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function port(server: TestServer): number {
  return Number(new URL(server.url).port);
}

/** An exchange over node:http, which sends headers and bodies exactly as given. */
function raw(
  server: TestServer,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: port(server),
        method,
        path,
        headers,
        setHost: !('host' in headers),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function post(server: TestServer, path: string, input: unknown, token?: string) {
  return raw(
    server,
    'POST',
    `/trpc/${path}`,
    { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    JSON.stringify(input),
  );
}

function resultData(reply: Raw): Record<string, unknown> {
  const parsed = JSON.parse(reply.body) as { result?: { data?: Record<string, unknown> } };
  if (reply.status !== 200 || !parsed.result?.data) {
    throw new Error(`fixture call failed: ${reply.status} ${reply.body}`);
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

/** `{ws}`-style placeholders replaced by this side's values. */
function fill(text: string, values: Record<string, string>): string {
  return text.replace(/\{(\w+)\}/g, (match, name: string) => values[name] ?? match);
}

/** This side's random values replaced by their names, so both sides can be compared. */
function unfill(text: string, values: Record<string, string>): string {
  let out = text;
  // Longest first: a session id is a prefix of its token.
  for (const [name, value] of Object.entries(values).sort((a, b) => b[1].length - a[1].length)) {
    if (value) out = out.split(value).join(`<${name}>`);
  }
  // Sessions (and sign-in's trusted-device tokens) created by the compared request itself.
  return out
    .replace(/\b[a-z2-9]{24}\.[a-z2-9]{32}\b/g, '<new session token>')
    .replace(/\btrd_[a-z2-9]{56}\b/g, '<new device token>');
}

/** What a client can observe of an answer, with this side's random values named. */
/**
 * A streamed batch (JSON lines) sends its head, then one line per call as each call
 * finishes: in whatever order the database answers (on PostgreSQL, concurrent calls finish
 * in any order). The lines after the head are compared as a set.
 */
function withChunksSorted(text: string): string {
  const [head, ...chunks] = text.split('\n');
  return chunks.length < 2 ? text : [head, ...chunks.filter(Boolean).sort(), ''].join('\n');
}

function observe(reply: Raw, values: Record<string, string>) {
  const cookies = reply.headers['set-cookie'];
  const text = withChunksSorted(unfill(reply.body, values));
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (HEAD, an event stream): compared as text.
  }
  return {
    status: reply.status,
    contentType: reply.headers['content-type'],
    vary: reply.headers.vary,
    retryAfter: reply.headers['retry-after'],
    setCookie: (Array.isArray(cookies) ? cookies : cookies ? [cookies] : []).map((cookie) =>
      unfill(cookie, values),
    ),
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
        Object.entries(headers).map(([name, value]) => [name, fill(value, values)]),
      );
      const reply = await raw(
        server,
        method,
        fill(path, values),
        filledHeaders,
        body === undefined ? undefined : fill(body, values),
      );
      seen[handler] = observe(reply, values);
    }
    expect(seen.lean).toEqual(seen.official);
  });

  it('answers TRACE with 405, not the 500 of a Fetch Request that cannot be built', async () => {
    for (const handler of HANDLERS) {
      const reply = await raw(sides[handler].server, 'TRACE', '/trpc/auth.me');
      expect([handler, reply.status, reply.headers.allow]).toEqual([handler, 405, 'GET, POST']);
      expect(JSON.parse(reply.body).error.data.code).toBe('METHOD_NOT_SUPPORTED');
    }
  });

  it('serves queries, mutations and batches itself, not through the adapter', async () => {
    // The adapter streams its answers (no Content-Length); the lean handler sends one buffer.
    const { server, values } = sides.lean;
    const answers = await Promise.all([
      raw(server, 'GET', '/trpc/auth.me', { authorization: `Bearer ${values.token}` }),
      raw(server, 'GET', '/trpc/auth.me,auth.nope?batch=1'),
      raw(server, 'POST', '/trpc/auth.signOut', { 'content-type': 'application/json' }, '{}'),
    ]);
    for (const answer of answers) expect(answer.headers['content-length']).toBeDefined();
    const adapter = await raw(sides.official.server, 'GET', '/trpc/auth.me');
    expect(adapter.headers['content-length']).toBeUndefined();
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

// ---------------------------------------------------------------------------------------
// tRPC's own client links against the lean handler
// ---------------------------------------------------------------------------------------

type LinkFactory = (url: string, token?: string) => TRPCLink<AppRouter>;

const LINKS: Record<'httpLink' | 'httpBatchLink', LinkFactory> = {
  httpLink: (url, token) =>
    httpLink<AppRouter>({ url, headers: token ? { authorization: `Bearer ${token}` } : {} }),
  httpBatchLink: (url, token) =>
    httpBatchLink<AppRouter>({
      url,
      maxItems: 50,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    }),
};

/** A scripted client session; returns what it saw, with this side's values named. */
async function clientStory(link: LinkFactory, side: Side, tag: string): Promise<unknown[]> {
  const url = `${side.server.url}/trpc`;
  const anonymous: TRPCClient<AppRouter> = createTRPCClient<AppRouter>({ links: [link(url)] });
  const seen: unknown[] = [];
  // Each outcome in the order the calls were made: concurrent calls may finish in any
  // order (on PostgreSQL they run on separate connections).
  const settle = async (promise: Promise<unknown>) => {
    const slot = seen.push(undefined) - 1;
    try {
      seen[slot] = { ok: await promise };
    } catch (error) {
      if (!(error instanceof TRPCClientError)) throw error;
      seen[slot] = { error: error.message, data: error.data as unknown };
    }
  };
  const email = `story-${tag}@example.com`;
  const signedUp = await anonymous.auth.signUp.mutate({ email, password: PASSWORD, name: 'Cli' });
  const token = signedUp.session.token;
  const values: Record<string, string> = { ...side.values, me: signedUp.user.id, meToken: token };
  const authed = createTRPCClient<AppRouter>({ links: [link(url, token)] });
  await settle(authed.auth.me.query());
  // Issued in one tick: one HTTP request through httpBatchLink, three through httpLink.
  await Promise.all([
    settle(authed.workspaces.list.query()),
    settle(authed.tasks.get.query({ taskId: 'missing-task-0000' })),
    settle(authed.auth.me.query()),
  ]);
  const created = await authed.workspaces.create.mutate({
    name: 'Mine',
    slug: `mine-${tag.toLowerCase()}`,
  });
  values.mine = created.id;
  await Promise.all([
    settle(authed.workspaces.update.mutate({ workspaceId: created.id, name: 'Ours' })),
    settle(authed.workspaces.create.mutate({ name: '', slug: 'BAD SLUG' })),
  ]);
  await settle(authed.workspaces.get.query({ workspaceId: created.id }));
  await settle(anonymous.auth.me.query());
  await settle(anonymous.auth.signIn.mutate({ email, password: 'wrong password entirely' }));
  return JSON.parse(unfill(JSON.stringify(seen), values)) as unknown[];
}

describe.each(Object.keys(LINKS) as (keyof typeof LINKS)[])('@trpc/client %s', (linkName) => {
  it('sees the same results and errors from both handlers', async () => {
    const lean = await clientStory(LINKS[linkName], sides.lean, linkName);
    const official = await clientStory(LINKS[linkName], sides.official, linkName);

    expect(lean).toEqual(official);
    expect(lean).toContainEqual({
      error: expect.stringContaining('Invalid input'),
      data: expect.objectContaining({ code: 'BAD_REQUEST', fieldErrors: expect.any(Object) }),
    });
    expect(lean).toContainEqual({
      error: expect.any(String),
      data: expect.objectContaining({ code: 'NOT_FOUND', path: 'tasks.get', httpStatus: 404 }),
    });
    expect(lean).toContainEqual({ ok: expect.objectContaining({ id: '<mine>', name: 'Ours' }) });
  });
});

describe('@trellis/client (httpBatchLink + httpSubscriptionLink) on the lean handler', () => {
  it('queries, mutates and receives a live change while the lean handler serves calls', async () => {
    const { server, values } = sides.lean;
    const client: TrellisClient = createClient({ url: server.url, token: values.token });
    const [me, task] = await Promise.all([
      client.auth.me.query(),
      client.tasks.get.query({ taskId: values.task ?? '' }),
    ]);
    expect(me.user.id).toBe(values.user);
    expect(task.id).toBe(values.task);

    const changes: string[] = [];
    const received = new Promise<void>((resolve, reject) => {
      const subscription = client.tasks.onChange.subscribe(
        { workspaceId: values.ws ?? '' },
        {
          onStarted: () => {
            client.tasks.create
              .mutate({ projectId: values.project ?? '', title: 'Live' })
              .catch(reject);
          },
          onData: (event) => {
            changes.push(`${event.data.type}:${event.data.task.title}`);
            subscription.unsubscribe();
            resolve();
          },
          onError: reject,
        },
      );
    });
    await received;
    expect(changes).toEqual(['created:Live']);

    const error = await client.tasks.get.query({ taskId: 'missing-task-0000' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isTrellisError(error) && error.data?.code).toBe('NOT_FOUND');
  });
});

// ---------------------------------------------------------------------------------------
// Corners the Trellis router cannot reach, on a small router of its own
// ---------------------------------------------------------------------------------------

interface MiniContext {
  fail: boolean;
}

const mini = initTRPC.context<MiniContext>().create({
  isDev: false,
  // A transformer that changes the wire shape, to prove both handlers apply it alike.
  transformer: {
    serialize: (value: unknown) => ({ wrapped: value }),
    deserialize: (value: unknown) => (value as { wrapped: unknown } | undefined)?.wrapped,
  },
});
const miniRouter = mini.router({
  echo: mini.procedure.input(z.object({ n: z.number() })).query(({ input }) => input),
  boom: mini.procedure.query(() => {
    throw new Error('database exploded');
  }),
  stream: mini.procedure.query(() => ({ later: Promise.resolve(1) })),
  nothing: mini.procedure.mutation(() => undefined),
  teapot: mini.procedure.mutation(() => {
    throw new TRPCError({ code: 'CONFLICT', message: 'Already there' });
  }),
});

interface MiniServer {
  app: FastifyInstance;
  url: string;
  /** What onError heard. */
  errors: { code: string; path: string | undefined; type: TRPCProcedureType | 'unknown' }[];
  /** Errors Fastify handled and warnings it logged (a second reply, a failed write). */
  fastifyErrors: string[];
}

const miniServers = {} as Record<TrpcHandlerKind, MiniServer>;

beforeAll(async () => {
  for (const handler of HANDLERS) {
    const errors: MiniServer['errors'] = [];
    const fastifyErrors: string[] = [];
    const app = Fastify({
      logger: { level: 'warn', stream: { write: (line: string) => fastifyErrors.push(line) } },
    });
    app.addHook('onError', async (_request, _reply, error) => {
      fastifyErrors.push(error.message);
    });
    // Async hooks between send and the socket, as the real server has.
    for (let hook = 0; hook < 3; hook += 1) {
      app.addHook('onSend', async (_request, _reply, payload) => payload);
    }
    await app.register(
      async (scope) => {
        await scope.register(trpcPlugin<typeof miniRouter>, {
          handler,
          trpcOptions: {
            router: miniRouter,
            maxBatchSize: 5,
            createContext: ({ req }) => {
              if (req.headers['x-context'] === 'throw') throw new Error('no context');
              return { fail: false };
            },
            onError: ({ error, path, type }) => errors.push({ code: error.code, path, type }),
          },
        });
      },
      { prefix: '/trpc' },
    );
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    miniServers[handler] = {
      app,
      url: `http://127.0.0.1:${address.port}`,
      errors,
      fastifyErrors,
    };
  }
});

afterAll(async () => {
  for (const handler of HANDLERS) await miniServers[handler]?.app.close();
});

const wrapped = (input: unknown) => encodeURIComponent(JSON.stringify({ wrapped: input }));
const MINI_CASES: Record<
  string,
  { method: 'GET' | 'POST'; url: string; headers?: Record<string, string> }
> = {
  'transformed input and output': { method: 'GET', url: `/trpc/echo?input=${wrapped({ n: 1 })}` },
  'transformed validation error': { method: 'GET', url: `/trpc/echo?input=${wrapped({ n: 'x' })}` },
  'a plain Error becomes INTERNAL_SERVER_ERROR': { method: 'GET', url: '/trpc/boom' },
  'a promise inside the result is refused': { method: 'GET', url: '/trpc/stream' },
  'a promise inside a batch result is refused': {
    method: 'GET',
    url: `/trpc/stream,echo?batch=1&input=${encodeURIComponent(JSON.stringify({ 1: { wrapped: { n: 2 } } }))}`,
  },
  'an undefined result': { method: 'POST', url: '/trpc/nothing' },
  'a thrown TRPCError': { method: 'POST', url: '/trpc/teapot' },
  'a context that throws': { method: 'GET', url: '/trpc/echo', headers: { 'x-context': 'throw' } },
  'a batch over tRPC’s own maxBatchSize': { method: 'GET', url: '/trpc/a,b,c,d,e,f?batch=1' },
};

describe('the lean handler matches the official one on a router with a transformer', () => {
  it.each(Object.entries(MINI_CASES))('%s', async (_name, { method, url, headers }) => {
    const seen: Record<string, unknown> = {};
    for (const handler of HANDLERS) {
      const { url: base, errors, fastifyErrors } = miniServers[handler];
      errors.length = 0;
      fastifyErrors.length = 0;
      const response = await fetch(`${base}${url}`, {
        method,
        headers: {
          ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(method === 'POST' ? { body: '{}' } : {}),
      });
      const reply = {
        statusCode: response.status,
        headers: {
          'content-type': response.headers.get('content-type'),
          vary: response.headers.get('vary'),
        },
        body: await response.text(),
      };
      // Whatever Fastify logs after the answer is out (a second reply) arrives a tick later.
      await new Promise((resolve) => setTimeout(resolve, 20));
      seen[handler] = {
        status: reply.statusCode,
        contentType: reply.headers['content-type'],
        vary: reply.headers.vary,
        body: reply.body,
        errors: [...errors],
        fastifyErrors: [...fastifyErrors],
      };
    }
    expect(seen.lean).toEqual(seen.official);
    expect(seen.lean).toMatchObject({ fastifyErrors: [] });
  });
});
