// Hostile search strings over raw HTTP: whatever a user types into the search box, the
// server answers 200 (or 400 when the input schema refuses it), never 500, and keeps
// serving. Black-box like the suites in contract/: only fixtures go straight to the database.
import { randomUUID } from 'node:crypto';
import { insertDefaultStates } from '@trellis/api/internal';
import { HOSTILE_SEARCH_TEXT } from '@trellis/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';

interface Hit {
  task: { id: string; workspaceId: string; key: string; title: string };
  rank: number;
  snippet?: string;
}

interface Reply {
  status: number;
  json: unknown;
}

let server: TestServer;
let token: string;
let userId: string;
let workspaceId: string;
const fixtures: Record<string, string> = {};
/** Every status a search request received, with what was asked. */
const seen: { status: number; q: string }[] = [];

async function call(path: string, init: RequestInit = {}): Promise<Reply> {
  const response = await fetch(`${server.url}${path}`, init);
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json };
}

function mutate(path: string, input: unknown, bearer?: string): Promise<Reply> {
  return call(`/trpc/${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
    },
    body: JSON.stringify(input),
  });
}

/** `GET /trpc/search.tasks` with `input` already encoded for the query string. */
async function searchRaw(encodedInput: string, label: string): Promise<Reply> {
  const reply = await call(`/trpc/search.tasks?input=${encodedInput}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  seen.push({ status: reply.status, q: label });
  return reply;
}

function search(q: string, limit?: number): Promise<Reply> {
  // JSON.stringify escapes lone surrogates, so even '\ud800' survives encodeURIComponent.
  const input = JSON.stringify({ workspaceId, q, ...(limit ? { limit } : {}) });
  return searchRaw(encodeURIComponent(input), q);
}

const hitsOf = (reply: Reply) =>
  (reply.json as { result: { data: { items: Hit[] } } }).result.data.items;

/** The project's Todo state (projects.create gave it the default states). */
async function todoStateOf(projectId: string): Promise<string> {
  const state = await server.db
    .selectFrom('project_states')
    .select('id')
    .where('project_id', '=', projectId)
    .where('category', '=', 'unstarted')
    .executeTakeFirstOrThrow();
  return state.id;
}

async function insertTask(projectId: string, number: number, title: string, description = '') {
  const id = randomUUID();
  const now = new Date().toISOString();
  await server.db
    .insertInto('tasks')
    .values({
      id,
      workspace_id: workspaceId,
      project_id: projectId,
      number,
      title,
      description,
      status: 'todo',
      state_id: await todoStateOf(projectId),
      priority: 2,
      assignee_id: null,
      due_at: null,
      created_by: userId,
      created_at: now,
      updated_at: now,
      completed_at: null,
    })
    .execute();
  return id;
}

beforeAll(async () => {
  server = await startTestServer();
  const signUp = await mutate('auth.signUp', {
    email: 'searcher@example.com',
    password: 'correct horse battery staple',
    name: 'Sue Searcher',
  });
  expect(signUp.status).toBe(200);
  const auth = (
    signUp.json as { result: { data: { user: { id: string }; session: { token: string } } } }
  ).result.data;
  token = auth.session.token;
  userId = auth.user.id;
  const created = await mutate('workspaces.create', { name: 'Search', slug: 'search' }, token);
  expect(created.status).toBe(200);
  workspaceId = (created.json as { result: { data: { id: string } } }).result.data.id;

  // Projects and tasks go in directly: this file tests search, not task creation.
  const projectId = randomUUID();
  const now = new Date().toISOString();
  await server.db
    .insertInto('projects')
    .values({
      id: projectId,
      workspace_id: workspaceId,
      key: 'OPS',
      name: 'Operations',
      archived_at: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  await insertDefaultStates(server.db, workspaceId, projectId, now);
  fixtures.deploy = await insertTask(projectId, 1, 'Deployment checklist', 'Title x and a NEAR y');
  fixtures.cafe = await insertTask(projectId, 2, 'Café opening', 'drop table of contents OR index');
  const comment = await mutate(
    'comments.create',
    { taskId: fixtures.cafe, body: 'Order the espresso machine' },
    token,
  );
  expect(comment.status).toBe(200);
});

afterAll(async () => {
  await server?.close();
});

describe('GET /trpc/search.tasks', () => {
  it('finds tasks by title prefix, description and comment words, ranked', async () => {
    const byPrefix = await search('deplo');
    expect(byPrefix.status).toBe(200);
    const [hit] = hitsOf(byPrefix);
    expect(hit?.task).toMatchObject({ id: fixtures.deploy, key: 'OPS-1', workspaceId });
    expect(typeof hit?.rank).toBe('number');
    expect(hitsOf(await search('espresso')).map((h) => h.task.id)).toEqual([fixtures.cafe]);
    expect(hitsOf(await search('cafe')).map((h) => h.task.id)).toEqual([fixtures.cafe]);
  });

  it(`answers ${HOSTILE_SEARCH_TEXT.length} hostile strings with 200 and a list of hits`, async () => {
    for (const q of HOSTILE_SEARCH_TEXT) {
      const reply = await search(q);
      expect(reply.status, JSON.stringify(q)).toBe(200);
      for (const h of hitsOf(reply)) expect(h.task.workspaceId).toBe(workspaceId);
    }
    // Syntax is searched as words, so it still finds what holds those words.
    expect(hitsOf(await search('NEAR(x y)')).map((h) => h.task.id)).toEqual([fixtures.deploy]);
    expect(hitsOf(await search("'; drop table")).map((h) => h.task.id)).toEqual([fixtures.cafe]);
  });

  it('answers 400 with field errors to what the schema refuses', async () => {
    for (const [q, limit] of [
      ['', undefined],
      ['x'.repeat(201), undefined],
      ['"'.repeat(201), undefined],
      ['ok', 51],
    ] as const) {
      const reply = await search(q, limit);
      expect(reply.status).toBe(400);
      const { data } = (reply.json as { error: { data: { fieldErrors: object } } }).error;
      expect(Object.keys(data.fieldErrors)).toEqual([limit ? 'limit' : 'q']);
    }
  });

  it('answers malformed bytes in the query string with 200 or 400', async () => {
    const wrap = (encodedQ: string) =>
      `${encodeURIComponent(`{"workspaceId":"${workspaceId}","q":"`)}${encodedQ}%22%7D`;
    for (const bytes of ['%FF', '%C0%80', '%ED%A0%80', '%F4%90%80%80', '%00', '%5Cu0000', '%5C']) {
      const reply = await searchRaw(wrap(bytes), bytes);
      expect([200, 400], bytes).toContain(reply.status);
    }
  });

  it('never answered 500, and the server still serves afterwards', async () => {
    expect(seen.length).toBeGreaterThan(HOSTILE_SEARCH_TEXT.length);
    expect(seen.filter(({ status }) => status >= 500)).toEqual([]);
    const health = await call('/healthz');
    expect(health.status).toBe(200);
    expect(hitsOf(await search('checklist')).map((h) => h.task.id)).toEqual([fixtures.deploy]);
  });
});
