// REST under /api/v1 driven with plain fetch against the real server: the same procedures
// as /trpc, so the same checks, statuses and field errors. Where the two transports are
// compared, /trpc is spoken to with plain fetch too (no tRPC client).
import { describe, expect, it } from 'vitest';
import { serveThisFile } from '../test/support/http.js';
import { verifyEmailByMail } from '../test/support/server.js';

// Every answer goes through the wire: no 5xx, and each status is one the document lists.
const wire = serveThisFile();

interface Reply {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON came back.
  body: any;
}

interface Call {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

async function sent(path: string, init: RequestInit): Promise<Reply> {
  const reply = await wire.send(path, init);
  const isJson = reply.headers.get('content-type')?.startsWith('application/json');
  return { status: reply.status, headers: reply.headers, body: isJson ? reply.json : reply.text };
}

/** One REST call; a body is sent as JSON. */
function rest(method: string, path: string, call: Call = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...call.headers };
  if (call.token) headers.authorization = `Bearer ${call.token}`;
  if (call.body !== undefined) headers['content-type'] ??= 'application/json';
  return sent(`/api/v1${path}`, {
    method,
    headers,
    ...(call.body === undefined
      ? {}
      : { body: typeof call.body === 'string' ? call.body : JSON.stringify(call.body) }),
  });
}

/** The same procedure over /trpc, as a plain HTTP mutation. */
function trpcMutation(path: string, token: string, input: unknown): Promise<Reply> {
  return sent(`/trpc/${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(input),
  });
}

/** The same procedure over /trpc, as a plain HTTP query. */
function trpcQuery(path: string, token: string, input: unknown): Promise<Reply> {
  const query = encodeURIComponent(JSON.stringify(input));
  return sent(`/trpc/${path}?input=${query}`, { headers: { authorization: `Bearer ${token}` } });
}

let people = 0;

async function signUp(name: string) {
  people += 1;
  const email = `rest-${people}@example.com`;
  const reply = await rest('POST', '/auth/sign-up', {
    body: { email, password: 'correct horse battery', name },
  });
  expect(reply.status).toBe(201);
  return { ...reply.body.user, email, token: reply.body.session.token as string, reply };
}

/** An owner with a workspace and a project ENG; plus slug uniqueness per call. */
async function workspaceWithProject() {
  const owner = await signUp('Olive Owner');
  const slug = `acme-${people}`;
  const workspace = await rest('POST', '/workspaces', {
    token: owner.token,
    body: { name: 'Acme', slug },
  });
  expect(workspace.status).toBe(201);
  const project = await rest('POST', `/workspaces/${workspace.body.id}/projects`, {
    token: owner.token,
    body: { name: 'Engineering', key: 'ENG' },
  });
  expect(project.status).toBe(201);
  return { owner, workspaceId: workspace.body.id as string, projectId: project.body.id as string };
}

describe('REST with plain fetch', () => {
  it('signs up, creates a workspace, project and tasks, lists, updates, reads and deletes', async () => {
    const owner = await signUp('Ada');
    expect(owner.reply.headers.get('set-cookie')).toMatch(/^trellis_session=/);

    const me = await rest('GET', '/me', { token: owner.token });
    expect(me).toMatchObject({ status: 200, body: { user: { name: 'Ada' }, workspaces: [] } });

    const workspace = await rest('POST', '/workspaces', {
      token: owner.token,
      body: { name: 'Acme', slug: 'acme-story' },
    });
    expect(workspace).toMatchObject({ status: 201, body: { slug: 'acme-story', role: 'owner' } });
    const workspaceId = workspace.body.id;

    const project = await rest('POST', `/workspaces/${workspaceId}/projects`, {
      token: owner.token,
      body: { name: 'Engineering', key: 'ENG' },
    });
    expect(project).toMatchObject({ status: 201, body: { key: 'ENG', workspaceId } });
    const projectId = project.body.id;

    const create = (title: string, extra: Record<string, unknown> = {}) =>
      rest('POST', `/projects/${projectId}/tasks`, {
        token: owner.token,
        body: { title, ...extra },
      });
    const first = await create('Write the spec', { status: 'todo', labels: ['docs'] });
    expect(first).toMatchObject({
      status: 201,
      body: { key: 'ENG-1', number: 1, version: 1, status: 'todo', labels: ['docs'] },
    });
    const second = await create('Ship it', { status: 'done', priority: 4 });
    const third = await create('Someday', { status: 'backlog' });
    expect([second.status, third.status]).toEqual([201, 201]);

    // Repeated keys form the array; numbers arrive as numbers.
    const page1 = await rest(
      'GET',
      `/workspaces/${workspaceId}/tasks?status=todo&status=done&sort=created&order=asc&limit=1`,
      { token: owner.token },
    );
    expect(page1.status).toBe(200);
    expect(page1.body.items.map((t: { key: string }) => t.key)).toEqual(['ENG-1']);
    expect(page1.body.nextCursor).toEqual(expect.any(String));
    const page2 = await rest(
      'GET',
      `/workspaces/${workspaceId}/tasks?status=todo&status=done&sort=created&order=asc&limit=1&cursor=${encodeURIComponent(page1.body.nextCursor)}`,
      { token: owner.token },
    );
    expect(page2.body).toMatchObject({ items: [{ key: 'ENG-2' }], nextCursor: null });

    // One status is still a list; an empty nullable value is null (unassigned tasks).
    const backlog = await rest(
      'GET',
      `/workspaces/${workspaceId}/tasks?status=backlog&assigneeId=`,
      {
        token: owner.token,
      },
    );
    expect(backlog.body.items.map((t: { key: string }) => t.key)).toEqual(['ENG-3']);

    const taskId = first.body.id;
    const updated = await rest('PATCH', `/tasks/${taskId}`, {
      token: owner.token,
      body: { expectedVersion: 1, patch: { title: 'Write the whole spec', status: 'in_progress' } },
    });
    expect(updated).toMatchObject({
      status: 200,
      body: { id: taskId, version: 2, title: 'Write the whole spec', status: 'in_progress' },
    });

    const stale = await rest('PATCH', `/tasks/${taskId}`, {
      token: owner.token,
      body: { expectedVersion: 1, patch: { title: 'Lost update' } },
    });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('CONFLICT');
    expect(stale.body.error.message).toMatch(/ENG-1 was changed by someone else/);

    const got = await rest('GET', `/tasks/${taskId}`, { token: owner.token });
    expect(got).toMatchObject({ status: 200, body: updated.body });

    const deleted = await rest('DELETE', `/tasks/${taskId}`, { token: owner.token });
    expect(deleted).toMatchObject({ status: 200, body: { ok: true } });
    const gone = await rest('GET', `/tasks/${taskId}`, { token: owner.token });
    expect(gone).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });

    // Booleans arrive as booleans.
    const archived = await rest('POST', `/projects/${projectId}/archive`, { token: owner.token });
    expect(archived.body.archivedAt).toEqual(expect.any(String));
    const hidden = await rest('GET', `/workspaces/${workspaceId}/projects`, { token: owner.token });
    const shown = await rest('GET', `/workspaces/${workspaceId}/projects?includeArchived=true`, {
      token: owner.token,
    });
    expect([hidden.body.length, shown.body.length]).toEqual([0, 1]);
  });
});

describe('the same answers as tRPC', () => {
  it('refuses a too-long title with a field error naming title, like /trpc', async () => {
    const { owner, projectId } = await workspaceWithProject();
    const title = 'x'.repeat(201);
    const viaRest = await rest('POST', `/projects/${projectId}/tasks`, {
      token: owner.token,
      body: { title },
    });
    const viaTrpc = await trpcMutation('tasks.create', owner.token, { projectId, title });
    expect(viaRest.status).toBe(400);
    expect(viaTrpc.status).toBe(400);
    expect(Object.keys(viaRest.body.error.fieldErrors)).toEqual(['title']);
    expect(viaRest.body.error).toEqual({
      code: 'BAD_REQUEST',
      message: viaTrpc.body.error.message,
      fieldErrors: viaTrpc.body.error.data.fieldErrors,
    });
  });

  it('refuses a bad query parameter and an unknown one by name, like /trpc', async () => {
    const { owner, workspaceId } = await workspaceWithProject();
    const viaRest = await rest('GET', `/workspaces/${workspaceId}/tasks?limit=lots&colour=red`, {
      token: owner.token,
    });
    const viaTrpc = await trpcQuery('tasks.list', owner.token, {
      workspaceId,
      limit: 'lots',
      colour: 'red',
    });
    expect(viaRest.status).toBe(400);
    expect(viaTrpc.status).toBe(400);
    expect(Object.keys(viaRest.body.error.fieldErrors).sort()).toEqual(['colour', 'limit']);
    expect(viaRest.body.error.fieldErrors).toEqual(viaTrpc.body.error.data.fieldErrors);
  });

  it('refuses nested field errors with the same paths (patch.priority)', async () => {
    const { owner, projectId } = await workspaceWithProject();
    const task = await rest('POST', `/projects/${projectId}/tasks`, {
      token: owner.token,
      body: { title: 'A' },
    });
    const input = { expectedVersion: 1, patch: { priority: 9 } };
    const viaRest = await rest('PATCH', `/tasks/${task.body.id}`, {
      token: owner.token,
      body: input,
    });
    const viaTrpc = await trpcMutation('tasks.update', owner.token, {
      taskId: task.body.id,
      ...input,
    });
    expect(viaRest.status).toBe(400);
    expect(Object.keys(viaRest.body.error.fieldErrors)).toEqual(['patch.priority']);
    expect(viaRest.body.error.fieldErrors).toEqual(viaTrpc.body.error.data.fieldErrors);
  });

  it('answers 401 without a credential, 404 to non-members and 403 to a viewer mutating', async () => {
    const { owner, workspaceId, projectId } = await workspaceWithProject();
    const task = await rest('POST', `/projects/${projectId}/tasks`, {
      token: owner.token,
      body: { title: 'Private' },
    });
    const taskId = task.body.id;

    const anonymous = await rest('GET', `/tasks/${taskId}`);
    expect(anonymous).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHORIZED' } } });

    const outsider = await signUp('Otto Outsider');
    const foreign = await rest('GET', `/tasks/${taskId}`, { token: outsider.token });
    const viaTrpc = await trpcQuery('tasks.get', outsider.token, { taskId });
    expect(foreign).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(foreign.body.error.message).toBe(viaTrpc.body.error.message);

    const viewer = await signUp('Vic Viewer');
    const invite = await rest('POST', `/workspaces/${workspaceId}/invites`, {
      token: owner.token,
      body: { email: viewer.email, role: 'viewer' },
    });
    expect(invite.status).toBe(201);
    // Only a verified address may accept an invite: prove it from the mail, as a person does.
    await verifyEmailByMail(wire.server, viewer.email);
    const accepted = await rest('POST', '/invites/accept', {
      token: viewer.token,
      body: { inviteToken: invite.body.inviteToken },
    });
    expect(accepted).toMatchObject({ status: 201, body: { workspaceId, role: 'viewer' } });

    const read = await rest('GET', `/tasks/${taskId}`, { token: viewer.token });
    expect(read.status).toBe(200);
    const write = await rest('PATCH', `/tasks/${taskId}`, {
      token: viewer.token,
      body: { expectedVersion: 1, patch: { title: 'Mine now' } },
    });
    expect(write).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
  });

  it('checks the Origin of cookie-authenticated mutations', async () => {
    const user = await signUp('Cookie Carl');
    const cookie = `trellis_session=${user.token}`;
    const foreign = await rest('POST', '/workspaces', {
      headers: { cookie, origin: 'https://evil.example' },
      body: { name: 'Evil', slug: `evil-${people}` },
    });
    expect(foreign).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    const own = await rest('POST', '/workspaces', {
      headers: { cookie, origin: wire.server.url },
      body: { name: 'Fine', slug: `fine-${people}` },
    });
    expect(own.status).toBe(201);
  });
});

describe('Idempotency-Key over REST', () => {
  it('reaches the procedure through the shared context: a retried create makes one task', async () => {
    const { owner, workspaceId, projectId } = await workspaceWithProject();
    const call = {
      token: owner.token,
      headers: { 'idempotency-key': 'rest-retry-1' },
      body: { title: 'Once only' },
    };
    const first = await rest('POST', `/projects/${projectId}/tasks`, call);
    const retry = await rest('POST', `/projects/${projectId}/tasks`, call);
    expect(first.status).toBe(201);
    expect(retry).toMatchObject({ status: 201, body: first.body });
    const list = await rest('GET', `/workspaces/${workspaceId}/tasks`, { token: owner.token });
    expect(list.body.items).toHaveLength(1);
  });
});

describe('transport errors, in the REST error shape', () => {
  it('answers an unknown route with 404 JSON', async () => {
    const reply = await rest('GET', '/no/such/thing');
    expect(reply.status).toBe(404);
    expect(reply.body).toEqual({
      error: { code: 'NOT_FOUND', message: 'No route for GET /api/v1/no/such/thing' },
    });
  });

  it('answers a body that is not JSON with 415', async () => {
    const { owner, projectId } = await workspaceWithProject();
    const reply = await rest('POST', `/projects/${projectId}/tasks`, {
      token: owner.token,
      headers: { 'content-type': 'text/plain' },
      body: '{"title":"sneaky"}',
    });
    expect(reply).toMatchObject({
      status: 415,
      body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE' } },
    });
  });

  it('answers malformed JSON, a non-object body and a path parameter in the body with 400', async () => {
    const { owner, projectId } = await workspaceWithProject();
    const path = `/projects/${projectId}/tasks`;
    const malformed = await rest('POST', path, { token: owner.token, body: '{"title": ' });
    expect(malformed).toMatchObject({
      status: 400,
      body: { error: { code: 'BAD_REQUEST', message: 'Malformed JSON body' } },
    });
    const list = await rest('POST', path, { token: owner.token, body: ['title'] });
    expect(list).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
    const twice = await rest('POST', path, {
      token: owner.token,
      body: { projectId: 'elsewhere', title: 'A' },
    });
    expect(twice.status).toBe(400);
    expect(Object.keys(twice.body.error.fieldErrors)).toEqual(['projectId']);
  });

  it('takes a mutation without a body, or with an empty JSON one', async () => {
    const { owner, projectId } = await workspaceWithProject();
    const bare = await rest('POST', `/projects/${projectId}/archive`, { token: owner.token });
    expect(bare.status).toBe(200);
    const empty = await rest('POST', `/projects/${projectId}/archive`, {
      token: owner.token,
      headers: { 'content-type': 'application/json' },
      body: '',
    });
    expect(empty).toMatchObject({ status: 200, body: { archivedAt: bare.body.archivedAt } });
  });
});
