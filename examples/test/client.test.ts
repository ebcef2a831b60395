import type { IncomingMessage } from 'node:http';
import {
  createClient,
  isTrellisError,
  MAX_BATCH_ITEMS,
  MAX_QUERY_ATTEMPTS,
  MAX_URL_LENGTH,
  TrellisError,
  withIdempotencyKey,
} from '@trellis/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from './gateway.js';
import { startTestServer, type TestServer } from './server.js';
import { signUpUser, signUpWithProject } from './users.js';

// @trellis/client as a deployed program meets it: the real server behind a gateway that
// can fail requests on demand (error pages, dropped connections, requests left hanging).

let server: TestServer;
let gateway: Gateway;
beforeAll(async () => {
  server = await startTestServer();
  gateway = await startGateway(server.url);
});
afterAll(async () => {
  await gateway?.close();
  await server?.close();
});
beforeEach(() => gateway.reset());

async function failure(promise: Promise<unknown>): Promise<TrellisError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isTrellisError(error)) throw new Error(`expected a TrellisError, got ${String(error)}`);
  return error;
}

const requests = (method: string) => gateway.seen.filter((seen) => seen.method === method);

describe('typed errors', () => {
  it('carries the code, the HTTP status and the invalid fields', async () => {
    const { client, project } = await signUpWithProject(server.url);
    const invalid = await failure(
      client.tasks.create.mutate({ projectId: project.id, title: ' ', priority: 9 }),
    );
    expect(invalid).toBeInstanceOf(TrellisError);
    expect(invalid.code).toBe('BAD_REQUEST');
    expect(invalid.status).toBe(400);
    expect(Object.keys(invalid.fieldErrors ?? {}).sort()).toEqual(['priority', 'title']);

    const missing = await failure(client.tasks.get.query({ taskId: 'no-such-task-id' }));
    expect([missing.code, missing.status, missing.fieldErrors]).toEqual([
      'NOT_FOUND',
      404,
      undefined,
    ]);
  });

  it('reports each call refused as UNAUTHORIZED to onUnauthorized, once', async () => {
    const reported: TrellisError[] = [];
    const client = createClient({
      url: server.url,
      token: 'not-a-session',
      onUnauthorized: (error) => reported.push(error),
    });
    const calls = [client.auth.me.query(), client.workspaces.list.query()];
    const errors = await Promise.all(calls.map(failure));
    expect(errors.map((error) => error.code)).toEqual(['UNAUTHORIZED', 'UNAUTHORIZED']);
    expect(reported).toEqual(errors);

    const { client: signedIn } = await signUpUser(server.url);
    const reportedToo: TrellisError[] = [];
    const other = createClient({
      url: server.url,
      token: (await signUpUser(server.url)).token,
      onUnauthorized: (error) => reportedToo.push(error),
    });
    const { id } = await signedIn.workspaces.create.mutate({
      name: 'Own',
      slug: `own-${Date.now()}`,
    });
    expect((await failure(other.workspaces.get.query({ workspaceId: id }))).code).toBe('NOT_FOUND');
    expect(reportedToo).toEqual([]);
  });
});

describe('aborting a call', () => {
  it('rejects at once and cancels the HTTP request', async () => {
    const { token } = await signUpUser(server.url);
    const client = createClient({ url: gateway.url, token });
    const arrived = new Promise<IncomingMessage>((onHeld) =>
      gateway.failNext('GET', 1, { kind: 'hold', onHeld }),
    );
    const controller = new AbortController();
    const call = failure(client.auth.me.query(undefined, { signal: controller.signal }));
    const held = await arrived;
    const closed = new Promise((resolve) => held.socket.once('close', resolve));

    controller.abort();

    const error = await call;
    expect(error.cause?.name).toBe('AbortError');
    expect(error.code).toBeUndefined();
    await closed;
    expect(requests('GET')).toHaveLength(1);
  });
});

describe('retries', () => {
  it.each([502, 503, 504])('sends a query again after a %i error page', async (status) => {
    const { user, token } = await signUpUser(server.url);
    const client = createClient({ url: gateway.url, token });
    gateway.failNext('GET', MAX_QUERY_ATTEMPTS - 1, { kind: 'status', status });
    expect((await client.auth.me.query()).user.id).toBe(user.id);
    expect(requests('GET')).toHaveLength(MAX_QUERY_ATTEMPTS);
  });

  it('sends a query again after a dropped connection', async () => {
    const { user, token } = await signUpUser(server.url);
    const client = createClient({ url: gateway.url, token });
    gateway.failNext('GET', 1, { kind: 'drop' });
    expect((await client.auth.me.query()).user.id).toBe(user.id);
    expect(requests('GET')).toHaveLength(2);
  });

  it('gives up after a few attempts, with the last status', async () => {
    const { token } = await signUpUser(server.url);
    const client = createClient({ url: gateway.url, token });
    gateway.failNext('GET', MAX_QUERY_ATTEMPTS, { kind: 'status', status: 503 });
    const error = await failure(client.auth.me.query());
    expect([error.status, error.code]).toEqual([503, 'NOT_TRELLIS']);
    expect(requests('GET')).toHaveLength(MAX_QUERY_ATTEMPTS);
  });

  it('does not retry an answer about the call itself', async () => {
    const { token } = await signUpUser(server.url);
    const client = createClient({ url: gateway.url, token });
    const error = await failure(client.workspaces.get.query({ workspaceId: 'nope' }));
    expect(error.code).toBe('NOT_FOUND');
    expect(requests('GET')).toHaveLength(1);
  });

  it.each([
    ['a 503 error page', { kind: 'status', status: 503 } as const],
    ['a dropped connection', { kind: 'drop' } as const],
  ])('never sends a mutation twice, even after %s', async (_, fault) => {
    const { client: direct, token } = await signUpUser(server.url);
    const client = createClient({ url: gateway.url, token });
    gateway.failNext('POST', 1, fault);
    const slug = `once-${Date.now()}`;
    await failure(client.workspaces.create.mutate({ name: 'Once', slug }));
    expect(requests('POST')).toHaveLength(1);
    expect(await direct.workspaces.list.query()).toEqual([]);
  });
});

describe('batching', () => {
  it(`splits batches longer than ${MAX_URL_LENGTH} characters of URL`, async () => {
    const { client: direct, token } = await signUpWithProject(server.url);
    const [workspace] = await direct.workspaces.list.query();
    const client = createClient({ url: gateway.url, token });
    const searches = Array.from({ length: 20 }, (_, i) =>
      client.tasks.list.query({
        workspaceId: workspace?.id ?? '',
        q: `${i} ${'needle '.repeat(20)}`,
      }),
    );
    const pages = await Promise.all(searches);
    expect(pages.map((page) => page.items)).toEqual(searches.map(() => []));
    const urls = requests('GET').map((seen) => `${gateway.url}${seen.url}`);
    expect(urls.length).toBeGreaterThan(1);
    for (const url of urls) expect(url.length).toBeLessThanOrEqual(MAX_URL_LENGTH);
  });

  it(`sends at most ${MAX_BATCH_ITEMS} calls per request, as the server requires`, async () => {
    const { user, token } = await signUpUser(server.url);
    const client = createClient({ url: gateway.url, token });
    const calls = Array.from({ length: 2 * MAX_BATCH_ITEMS + 1 }, () => client.auth.me.query());
    const answers = await Promise.all(calls);
    expect(new Set(answers.map((me) => me.user.id))).toEqual(new Set([user.id]));
    const sizes = requests('GET').map((seen) => seen.url.split('?')[0]?.split(',').length);
    expect(sizes).toEqual([MAX_BATCH_ITEMS, MAX_BATCH_ITEMS, 1]);
  });
});

// Needs the server's half of idempotency (Idempotency-Key → ctx.req.idempotencyKey → the
// first result replayed), built alongside this client.
describe('idempotent mutations', () => {
  it('creates one task when a create is replayed with the same key', async () => {
    const { token, workspace, project } = await signUpWithProject(server.url);
    const client = createClient({ url: gateway.url, token });
    const input = { projectId: project.id, title: 'Exactly once' };
    const key = `create-${Date.now()}`;

    const first = await client.tasks.create.mutate(input, withIdempotencyKey(key));
    const replay = await client.tasks.create.mutate(input, withIdempotencyKey(key));

    expect(replay).toEqual(first);
    const { items } = await client.tasks.list.query({ workspaceId: workspace.id });
    expect(items.map((task) => task.id)).toEqual([first.id]);
    const posts = requests('POST');
    expect(posts.map((seen) => seen.headers['idempotency-key'])).toEqual([key, key]);
    // The header names one call, so such calls are never batched.
    expect(posts.map((seen) => seen.url)).toEqual(['/trpc/tasks.create', '/trpc/tasks.create']);
  });
});
