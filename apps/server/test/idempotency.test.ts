// Idempotency-Key over raw HTTP through the real server (both tRPC handlers): a create
// replayed with the same key makes one task, however the retries arrive.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';

let server: TestServer;

beforeEach(async () => {
  server = await startTestServer();
});

afterEach(async () => {
  await server.close();
});

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  body: {
    result?: { data: { id: string; number: number; title: string } };
    error?: { message: string; data: { code: string; httpStatus: number } };
  };
}

async function post(path: string, input: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}/trpc/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(input),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: JSON.parse(text) };
}

/** A signed-up user with a workspace and project ENG; `create` makes a task with a key. */
async function setUp() {
  const signUp = await post('auth.signUp', {
    email: 'ada@example.com',
    password: 'correct horse battery staple',
    name: 'Ada',
  });
  const token: string = signUp.body.result.data.session.token;
  const auth = { authorization: `Bearer ${token}` };
  const workspace = await post('workspaces.create', { name: 'Acme', slug: 'acme' }, auth);
  const workspaceId: string = workspace.body.result.data.id;
  const project = await post('projects.create', { workspaceId, name: 'Eng', key: 'ENG' }, auth);
  const projectId: string = project.body.result.data.id;
  const create = (key: string, title = 'Ship it'): Promise<Reply> =>
    post('tasks.create', { projectId, title }, { ...auth, 'idempotency-key': key });
  return { auth, projectId, create };
}

function taskIds() {
  return server.db
    .selectFrom('tasks')
    .select('id')
    .execute()
    .then((rows) => rows.map((row) => row.id));
}

describe('POST /trpc/tasks.create with an Idempotency-Key', () => {
  it('answers a replay with the first answer, byte for byte, and creates one task', async () => {
    const { create } = await setUp();
    const first = await create('retry-1');
    const replay = await create('retry-1');

    expect(first.status).toBe(200);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.text).toBe(first.text);
    expect(await taskIds()).toEqual([first.body.result?.data.id]);
  });

  it('makes one task from concurrent retries: the others replay it or are told to wait', async () => {
    const { create } = await setUp();
    const replies = await Promise.all(Array.from({ length: 5 }, () => create('burst')));

    const created = replies.filter((reply) => reply.status === 200);
    const waiting = replies.filter((reply) => reply.status !== 200);
    const ids = await taskIds();
    expect(ids).toHaveLength(1);
    expect(created.length).toBeGreaterThanOrEqual(1);
    for (const reply of created) expect(reply.body.result?.data.id).toBe(ids[0]);
    for (const reply of waiting) {
      expect(reply.status).toBe(409);
      expect(reply.body.error?.message).toBe(
        'A request with this Idempotency-Key is still in progress',
      );
    }
    // Once the first has answered, every retry gets its answer.
    const later = await create('burst');
    expect(later.status).toBe(200);
    expect(later.body.result?.data.id).toBe(ids[0]);
  });

  it('refuses the key reused for another input with 422, creating nothing more', async () => {
    const { create } = await setUp();
    const first = await create('k', 'One');
    const other = await create('k', 'Two');
    expect(other.status).toBe(422);
    expect(other.body.error?.data).toMatchObject({
      code: 'UNPROCESSABLE_CONTENT',
      httpStatus: 422,
    });
    expect(await taskIds()).toEqual([first.body.result?.data.id]);
  });

  it('refuses an invalid key with 400 naming the header', async () => {
    const { create } = await setUp();
    const reply = await create('k'.repeat(256));
    expect(reply.status).toBe(400);
    expect(reply.body.error?.data.code).toBe('BAD_REQUEST');
    expect(reply.body.error?.message).toContain('Idempotency-Key');
    expect(await taskIds()).toEqual([]);
  });

  it('refuses a key on a batch of mutations for all but one call', async () => {
    const { auth, projectId } = await setUp();
    const reply = await post(
      'tasks.create,tasks.create?batch=1',
      { 0: { projectId, title: 'A' }, 1: { projectId, title: 'B' } },
      { ...auth, 'idempotency-key': 'batch' },
    );
    const answers = reply.body as unknown as Reply['body'][];
    const codes = answers.map((answer) => answer.error?.data.code ?? 'ok').sort();
    expect(codes).toEqual(['BAD_REQUEST', 'ok']);
    expect(await taskIds()).toHaveLength(1);
  });
});

describe('the session sweep', () => {
  it('also deletes idempotency keys past their expiry', async () => {
    await server.close();
    server = await startTestServer({ sessionSweepIntervalMs: 25 });
    const row = (key: string, expiresAt: Date) => ({
      scope: 'user:u1',
      key,
      path: 'tasks.create',
      input_hash: 'x',
      status: 'done' as const,
      result: '{}',
      created_at: new Date(expiresAt.getTime() - 24 * 60 * 60 * 1000).toISOString(),
      expires_at: expiresAt.toISOString(),
    });
    const hour = 60 * 60 * 1000;
    await server.db
      .insertInto('idempotency_keys')
      .values([row('stale', new Date(Date.now() - hour)), row('live', new Date(Date.now() + hour))])
      .execute();
    const keys = async () =>
      (await server.db.selectFrom('idempotency_keys').select('key').execute()).map((r) => r.key);
    await expect.poll(keys, { timeout: 30_000, interval: 25 }).toEqual(['live']);
  });
});
