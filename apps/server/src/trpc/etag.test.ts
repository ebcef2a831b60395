import { createClient, type TrellisClient } from '@trellis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/support/server.js';

// HTTP validators on query answers (GET /trpc): a strong ETag per answer and caller, 304 for
// a matching If-None-Match, a new body right after any write that changes it; never on
// mutations, errors or streams. The suite runs with both tRPC handlers.

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

let seq = 0;
async function signUp(): Promise<{ token: string; client: TrellisClient }> {
  seq += 1;
  const { session } = await createClient({ url: server.url }).auth.signUp.mutate({
    email: `etag-${seq}@example.com`,
    password: 'correct horse battery staple',
    name: `Etag ${seq}`,
  });
  return { token: session.token, client: createClient({ url: server.url, token: session.token }) };
}

/** A workspace with one project and one task, owned by a new user. */
async function world() {
  const owner = await signUp();
  const workspace = await owner.client.workspaces.create.mutate({
    name: 'Cache',
    slug: `cache-${seq}`,
  });
  const project = await owner.client.projects.create.mutate({
    workspaceId: workspace.id,
    name: 'Cache',
    key: 'CA',
  });
  const task = await owner.client.tasks.create.mutate({ projectId: project.id, title: 'First' });
  return { owner, workspace, project, task };
}

function query(path: string, input: unknown, token: string, headers: Record<string, string> = {}) {
  return fetch(`${server.url}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`, {
    headers: { authorization: `Bearer ${token}`, ...headers },
  });
}

describe('ETags on query answers', () => {
  it('answers a query with a strong ETag, private no-cache, and 304 when it has not changed', async () => {
    const { owner, task } = await world();
    const first = await query('tasks.get', { taskId: task.id }, owner.token);
    const etag = first.headers.get('etag');

    expect(first.status).toBe(200);
    expect(etag).toMatch(/^"[\w-]{32}"$/);
    expect(first.headers.get('cache-control')).toBe('private, no-cache');
    expect(first.headers.get('vary')).toMatch(/authorization, cookie/);
    const again = await query('tasks.get', { taskId: task.id }, owner.token, {
      'if-none-match': etag ?? '',
    });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect(again.headers.get('etag')).toBe(etag);
    // Another tag, or none: the full answer.
    const other = await query('tasks.get', { taskId: task.id }, owner.token, {
      'if-none-match': '"something-else"',
    });
    expect(other.status).toBe(200);
    expect((await other.json()) as unknown).toEqual((await first.json()) as unknown);
  });

  it('answers with the new body right after a write that changes it', async () => {
    const { owner, task, workspace } = await world();
    const before = await query('tasks.get', { taskId: task.id }, owner.token);
    const stats = await query('stats.overview', { workspaceId: workspace.id }, owner.token);
    await owner.client.tasks.update.mutate({
      taskId: task.id,
      expectedVersion: 1,
      patch: { status: 'done' },
    });

    const after = await query('tasks.get', { taskId: task.id }, owner.token, {
      'if-none-match': before.headers.get('etag') ?? '',
    });
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(before.headers.get('etag'));
    expect(
      ((await after.json()) as { result: { data: { status: string } } }).result.data.status,
    ).toBe('done');
    const statsAfter = await query('stats.overview', { workspaceId: workspace.id }, owner.token, {
      'if-none-match': stats.headers.get('etag') ?? '',
    });
    expect(statsAfter.status).toBe(200);
  });

  it('gives a batch one ETag over all its answers', async () => {
    const { owner, task, workspace } = await world();
    const url = `${server.url}/trpc/tasks.get,projects.list?batch=1&input=${encodeURIComponent(
      JSON.stringify({ 0: { taskId: task.id }, 1: { workspaceId: workspace.id } }),
    )}`;
    const auth = { authorization: `Bearer ${owner.token}` };
    const first = await fetch(url, { headers: auth });
    const etag = first.headers.get('etag') ?? '';
    expect(first.status).toBe(200);
    expect(etag).not.toBe('');

    expect((await fetch(url, { headers: { ...auth, 'if-none-match': etag } })).status).toBe(304);
    await owner.client.tasks.update.mutate({
      taskId: task.id,
      expectedVersion: 1,
      patch: { title: 'Renamed' },
    });
    expect((await fetch(url, { headers: { ...auth, 'if-none-match': etag } })).status).toBe(200);
  });

  it('never matches across callers, even for the same body', async () => {
    const { owner, workspace } = await world();
    // Two sessions of one user: equal bodies, different credentials.
    const { session } = await createClient({ url: server.url }).auth.signIn.mutate({
      email: `etag-${seq}@example.com`,
      password: 'correct horse battery staple',
    });
    const mine = await query('workspaces.get', { workspaceId: workspace.id }, owner.token);
    const theirs = await query('workspaces.get', { workspaceId: workspace.id }, session.token, {
      'if-none-match': mine.headers.get('etag') ?? '',
    });

    expect(await theirs.text()).toBe(await mine.text());
    expect(theirs.status).toBe(200);
    expect(theirs.headers.get('etag')).not.toBe(mine.headers.get('etag'));
  });

  it('puts no validators on mutations or errors', async () => {
    const { owner, task } = await world();
    const mutation = await fetch(`${server.url}/trpc/tasks.update`, {
      method: 'POST',
      headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ taskId: task.id, expectedVersion: 1, patch: { title: 'X' } }),
    });
    expect(mutation.status).toBe(200);
    expect(mutation.headers.get('etag')).toBeNull();
    const missing = await query('tasks.get', { taskId: 'no-such-task' }, owner.token);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('etag')).toBeNull();
  });

  it('puts no validators on live streams', async () => {
    const { owner, workspace } = await world();
    const abort = new AbortController();
    const input = encodeURIComponent(JSON.stringify({ workspaceId: workspace.id }));
    const stream = await fetch(`${server.url}/trpc/tasks.onChange?input=${input}`, {
      headers: { authorization: `Bearer ${owner.token}`, accept: 'text/event-stream' },
      signal: abort.signal,
    }).then((response) => {
      const seen = {
        status: response.status,
        type: response.headers.get('content-type'),
        etag: response.headers.get('etag'),
      };
      abort.abort();
      return seen;
    });

    expect(stream).toEqual({
      status: 200,
      type: expect.stringMatching(/^text\/event-stream/),
      etag: null,
    });
  });

  it('@trellis/client with etagCache revalidates, and returns the new answer after a write', async () => {
    const { owner, task } = await world();
    const statuses: number[] = [];
    const client = createClient({
      url: server.url,
      token: owner.token,
      etagCache: true,
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        statuses.push(response.status);
        return response;
      },
    });

    const first = await client.tasks.get.query({ taskId: task.id });
    const second = await client.tasks.get.query({ taskId: task.id });
    expect(second).toEqual(first);
    expect(statuses).toEqual([200, 304]);
    await owner.client.tasks.update.mutate({
      taskId: task.id,
      expectedVersion: 1,
      patch: { title: 'Changed' },
    });
    const third = await client.tasks.get.query({ taskId: task.id });
    expect(third.title).toBe('Changed');
    expect(statuses).toEqual([200, 304, 200]);
  });
});
