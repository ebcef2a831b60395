// Every REST route driven into each answer its kind implies (statuses.ts), over real HTTP:
// 401 without a credential, 404 outside the workspace, 403 for a read-only token writing
// and for a cross-origin cookie, 400/413/415 for bad bodies, 304 for a current ETag, 405
// with `Allow` for another method, 422 for a reused Idempotency-Key. Each case asserts its
// status here; serveThisFile then checks that /api/openapi.json lists every one of them
// for the route that answered it (support/documented-statuses.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTACHMENT_PATH_METHODS } from '../src/attachments/openapi.js';
import { loadConfig } from '../src/config.js';
import { REST_ROUTES, type RestRoute } from '../src/rest/routes.js';
import { accountsOn, type Team } from './support/accounts.js';
import { serveThisFile } from './support/http.js';
import { expectRestError, restOn } from './support/rest.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';
import { dataOf } from './support/wire.js';
import { workOn } from './support/work.js';

// Webhooks may target the receiver on 127.0.0.1, for a real endpoint and delivery.
const wire = serveThisFile({ webhooks: { ...loadConfig({}).webhooks, allowPrivate: true } });
const { mutate, query } = wire;
const { rest } = restOn(wire);
const { makeTeam } = accountsOn(wire);
const { createProject, createTask } = workOn(wire);

/** Values for every path parameter, all inside the team's workspace. */
let params: Record<string, string>;
/** {taskId} of POST /tasks/{taskId}/restore: a task in the trash. */
let trashedTaskId: string;
let team: Team;
let readToken: string;
let receiver: WebhookReceiver;

afterAll(async () => {
  await receiver?.close();
});

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  team = await makeTeam();
  const project = await createProject(team.admin.token, team.workspaceId, 'MTX');
  const task = await createTask(team.member.token, project.id);
  const otherTask = await createTask(team.member.token, project.id);
  const trashedTask = await createTask(team.member.token, project.id);
  dataOf(await mutate('tasks.delete', { taskId: trashedTask.id }, { token: team.member.token }));
  trashedTaskId = trashedTask.id;
  const comment = dataOf<{ id: string }>(
    await mutate(
      'comments.create',
      { taskId: task.id, body: 'A comment' },
      { token: team.member.token },
    ),
  );
  const invite = dataOf<{ inviteId: string }>(
    await mutate(
      'members.invite',
      { workspaceId: team.workspaceId, email: 'matrix-invitee@example.com', role: 'member' },
      { token: team.owner.token },
    ),
  );
  const token = dataOf<{ id: string; token: string }>(
    await mutate(
      'apiTokens.create',
      { workspaceId: team.workspaceId, name: 'Read only', scope: 'read' },
      { token: team.owner.token },
    ),
  );
  readToken = token.token;
  const sessions = dataOf<{ id: string }[]>(
    await query('auth.sessions.list', undefined, { token: team.owner.token }),
  );
  const webhook = dataOf<{ id: string }>(
    await mutate(
      'webhooks.create',
      { workspaceId: team.workspaceId, url: receiver.url },
      { token: team.owner.token },
    ),
  );
  const delivery = dataOf<{ id: string }>(
    await mutate('webhooks.test', { webhookId: webhook.id }, { token: team.owner.token }),
  );
  // An import job of the owner's, finished (so that its answer no longer changes).
  const upload = await rest('POST', `/workspaces/${team.workspaceId}/import/tasks.csv`, {
    token: team.owner.token,
    query: { projectId: project.id },
    body: 'title\nImported\n',
    headers: { 'content-type': 'text/csv' },
  });
  const jobId = (upload.json as { id: string }).id;
  for (;;) {
    const job = dataOf<{ status: string }>(
      await query('imports.get', { jobId }, { token: team.owner.token }),
    );
    if (job.status === 'succeeded' || job.status === 'failed') break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const view = dataOf<{ id: string }>(
    await mutate(
      'views.create',
      { workspaceId: team.workspaceId, name: 'Shared', shared: true, filters: {} },
      { token: team.owner.token },
    ),
  );
  // An attachment's row (uploads are multipart: test/attachments*.test.ts); no route here
  // reads its file.
  const attachmentId = `att-${team.workspaceId}`;
  await wire.server.db
    .insertInto('attachments')
    .values({
      id: attachmentId,
      workspace_id: team.workspaceId,
      task_id: task.id,
      comment_id: null,
      filename: 'notes.txt',
      content_type: 'text/plain',
      size: 5,
      sha256: '0'.repeat(64),
      storage_key: `key-${team.workspaceId}`,
      preview_key: null,
      uploaded_by: team.member.user.id,
      created_at: new Date().toISOString(),
    })
    .execute();
  const [backlog] = dataOf<{ id: string }[]>(
    await query('projects.states.list', { projectId: project.id }, { token: team.member.token }),
  );
  params = {
    workspaceId: team.workspaceId,
    webhookId: webhook.id,
    deliveryId: delivery.id,
    userId: team.colleague.user.id,
    inviteId: invite.inviteId,
    tokenId: token.id,
    projectId: project.id,
    stateId: backlog?.id ?? '',
    jobId,
    viewId: view.id,
    taskId: task.id,
    // DELETE /tasks/{taskId}/relations/{type}/{otherTaskId}
    type: 'relates',
    otherTaskId: otherTask.id,
    commentId: comment.id,
    attachmentId,
    sessionId: sessions[0]?.id ?? '',
  };
});

/** The route's path with the fixture's ids. */
function pathOf(route: RestRoute): string {
  return route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value =
      route.procedure === 'tasks.restore' && name === 'taskId' ? trashedTaskId : params[name];
    if (value === undefined) throw new Error(`no fixture for {${name}}`);
    return value;
  });
}

const label = (route: RestRoute) => `${route.method} ${route.path}`;
const writes = REST_ROUTES.filter((route) => route.method !== 'GET');
const reads = REST_ROUTES.filter((route) => route.method === 'GET');
const guarded = REST_ROUTES.filter((route) => route.access !== 'public');
const inWorkspace = REST_ROUTES.filter((route) => route.access === 'workspace');
/** Inputs a GET needs beyond its path to be answered 200. */
const READ_QUERIES: Record<string, Record<string, string>> = { 'search.tasks': { q: 'task' } };

describe('REST answers what its kind implies, for every route', () => {
  it('401 without a credential, on every route that needs one', async () => {
    for (const route of guarded) {
      const reply = await rest(
        route.method,
        pathOf(route),
        route.method === 'GET' ? {} : { body: {} },
      );
      expect(reply.status, label(route)).toBe(401);
      expectRestError(reply, 401, 'UNAUTHORIZED');
    }
    // And the public ones do not ask for one (an empty body is only invalid input).
    for (const route of REST_ROUTES.filter((r) => r.access === 'public')) {
      const reply = await rest(route.method, pathOf(route), { body: {} });
      expect(reply.status, label(route)).toBe(400);
    }
  });

  it('404 to someone outside the workspace, on every workspace route', async () => {
    for (const route of inWorkspace) {
      const reply = await rest(route.method, pathOf(route), {
        token: team.outsider.token,
        ...(route.method === 'GET' ? {} : { body: {} }),
      });
      expect(reply.status, label(route)).toBe(404);
      expectRestError(reply, 404, 'NOT_FOUND');
    }
  });

  it('403 to a read-only API token, on every workspace write', async () => {
    for (const route of inWorkspace.filter((r) => r.method !== 'GET')) {
      const reply = await rest(route.method, pathOf(route), { token: readToken, body: {} });
      expect(reply.status, label(route)).toBe(403);
      expectRestError(reply, 403, 'FORBIDDEN');
    }
  });

  it('403 to a cookie-authenticated write from a foreign Origin, public ones too', async () => {
    for (const route of writes) {
      const reply = await rest(route.method, pathOf(route), {
        cookie: team.owner.token,
        origin: 'https://evil.example',
        body: {},
      });
      expect(reply.status, label(route)).toBe(403);
      expectRestError(reply, 403, 'FORBIDDEN');
    }
  });

  it('400 for a body that is not JSON, 415 for one that is not application/json, 413 for one too large', async () => {
    const tooLarge = JSON.stringify({ padding: 'x'.repeat(1024 * 1024) });
    for (const route of writes) {
      const path = pathOf(route);
      const token = team.owner.token;
      const malformed = await rest(route.method, path, { token, body: '{"unterminated' });
      expect(malformed.status, label(route)).toBe(400);
      const text = await rest(route.method, path, {
        token,
        body: 'plain',
        headers: { 'content-type': 'text/plain' },
      });
      expect(text.status, label(route)).toBe(415);
      const large = await rest(route.method, path, { token, body: tooLarge });
      expect(large.status, label(route)).toBe(413);
      expectRestError(large, 413, 'PAYLOAD_TOO_LARGE');
    }
  });

  it('400 naming an unknown query parameter, on every read that takes input', async () => {
    for (const route of reads.filter((r) => r.path.includes('{'))) {
      const reply = await rest('GET', pathOf(route), {
        token: team.owner.token,
        query: { ...READ_QUERIES[route.procedure], bogus: '1' },
      });
      expect(reply.status, label(route)).toBe(400);
      expect(expectRestError(reply, 400, 'BAD_REQUEST').fieldErrors).toHaveProperty('bogus');
    }
  });

  it('200 with an ETag, then 304 without a body for If-None-Match, on every read', async () => {
    for (const route of reads) {
      const path = pathOf(route);
      const call = { token: team.owner.token, query: READ_QUERIES[route.procedure] ?? {} };
      const first = await rest('GET', path, call);
      expect(first.status, label(route)).toBe(200);
      const etag = first.headers.get('etag');
      expect(etag, label(route)).toMatch(/^"[\w-]+"$/);
      expect(first.headers.get('cache-control')).toBe('private, no-cache');
      const again = await rest('GET', path, { ...call, headers: { 'if-none-match': etag ?? '' } });
      expect(again.status, label(route)).toBe(304);
      expect(again.text).toBe('');
      // Another caller's copy is never current.
      const other = await rest('GET', path, {
        ...call,
        token: team.admin.token,
        headers: { 'if-none-match': etag ?? '' },
      });
      expect(other.status, label(route)).not.toBe(304);
    }
  });

  it('405 with Allow for a method a known path does not serve; 404 for an unknown path', async () => {
    const byPath = new Map<string, Set<string>>();
    for (const route of REST_ROUTES) {
      const methods = byPath.get(route.path) ?? new Set<string>();
      methods.add(route.method);
      if (route.method === 'GET') methods.add('HEAD');
      byPath.set(route.path, methods);
    }
    // Paths shared with the streaming attachment routes serve their methods too.
    for (const [path, served] of Object.entries(ATTACHMENT_PATH_METHODS)) {
      for (const method of served) byPath.get(path)?.add(method);
    }
    for (const [path, methods] of byPath) {
      const route = REST_ROUTES.find((r) => r.path === path) as RestRoute;
      const reply = await rest('PUT', pathOf(route), { token: team.owner.token, body: {} });
      expect(reply.status, `PUT ${path}`).toBe(405);
      expectRestError(reply, 405, 'METHOD_NOT_SUPPORTED');
      const allow = (reply.headers.get('allow') ?? '').split(', ');
      expect(new Set(allow), path).toEqual(methods);
    }
    expectRestError(await rest('PUT', '/no/such/thing'), 404, 'NOT_FOUND');
    for (const path of ['/api/openapi.json', '/api/docs']) {
      const reply = await wire.send(path, { method: 'POST' });
      expectRestError(reply, 405, 'METHOD_NOT_SUPPORTED');
      expect(reply.headers.get('allow')).toBe('GET, HEAD');
    }
    expectRestError(await wire.send('/api/nothing'), 404, 'NOT_FOUND');
    expectRestError(await rest('GET', '/tasks'), 404, 'NOT_FOUND');
  });

  it('404 for an unknown id on a route outside any workspace', async () => {
    const token = team.owner.token;
    expectRestError(
      await rest('DELETE', '/me/sessions/no-such-session', { token }),
      404,
      'NOT_FOUND',
    );
    expectRestError(
      await rest('POST', '/invites/accept', { token, body: { inviteToken: 'no-such-invite' } }),
      404,
      'NOT_FOUND',
    );
  });

  it('422 when an Idempotency-Key comes back with another request', async () => {
    const path = `/projects/${params.projectId}/tasks`;
    const headers = { 'idempotency-key': 'matrix-key-1' };
    const token = team.member.token;
    const first = await rest('POST', path, { token, headers, body: { title: 'Once' } });
    expect(first.status).toBe(201);
    const replay = await rest('POST', path, { token, headers, body: { title: 'Once' } });
    expect(replay.status).toBe(201);
    expect(replay.json).toEqual(first.json);
    const other = await rest('POST', path, { token, headers, body: { title: 'Another' } });
    expectRestError(other, 422, 'UNPROCESSABLE_CONTENT');
  });

  it('401 for a wrong password on sign-in, a public route', async () => {
    const reply = await rest('POST', '/auth/sign-in', {
      body: { email: team.owner.email, password: 'not the password at all' },
    });
    expectRestError(reply, 401, 'UNAUTHORIZED');
  });
});
