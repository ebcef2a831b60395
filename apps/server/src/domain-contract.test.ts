// The black-box contract of /work/shared/docs/API.md for the work-tracking procedures
// (projects, tasks with tasks.list and the tasks.onChange event stream, comments,
// activity, search, stats), spoken over raw HTTP to a real server on a loopback port.
// Nothing here imports the API's code: plain fetch, JSON in, status codes and JSON out.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer, verifyEmailByMail } from './test/server.js';
import {
  type AuthResult,
  dataOf,
  errorIn,
  expectError,
  PASSWORD,
  parseJson,
  type Reply,
  type User,
  type Workspace,
} from './test/wire.js';

// ---------------------------------------------------------------------------------------
// Wire types
// ---------------------------------------------------------------------------------------

interface Project {
  id: string;
  workspaceId: string;
  key: string;
  name: string;
  archivedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

type TaskStatus = 'backlog' | 'todo' | 'in_progress' | 'done' | 'canceled';

interface Task {
  id: string;
  workspaceId: string;
  projectId: string;
  number: number;
  key: string;
  title: string;
  description: string;
  status: TaskStatus;
  priority: number;
  assigneeId: string | null;
  labels: string[];
  dueAt: string | null;
  version: number;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
}

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

interface Comment {
  id: string;
  taskId: string;
  authorId: string | null;
  authorName: string | null;
  body: string;
  createdAt: string;
  updatedAt: string;
  edited: boolean;
}

interface ActivityEntry {
  id: string;
  type: string;
  actor: { userId: string; name: string } | null;
  apiTokenId: string | null;
  projectId: string | null;
  taskId: string | null;
  data: Record<string, unknown>;
  createdAt: string;
}

interface SearchHit {
  task: Task;
  rank: number;
  snippet?: string;
}

interface DayCount {
  day: string;
  count: number;
}

interface StatsOverview {
  byStatus: Record<TaskStatus, number>;
  byPriority: { priority: number; count: number }[];
  openByAssignee: { assigneeId: string | null; name: string | null; count: number }[];
  createdPerDay: DayCount[];
  completedPerDay: DayCount[];
  totals: { tasks: number; open: number; overdue: number };
}

/** What tasks.onChange sends in each event's `data:` line. */
interface TaskChange {
  id: string;
  type: 'created' | 'updated' | 'deleted';
  task: Task;
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const DAY_MS = 24 * 60 * 60 * 1000;

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

/** A fetch to the test server, recorded in `seen`. */
async function send(path: string, init: RequestInit = {}): Promise<Reply> {
  const response = await fetch(`${server.url}${path}`, init);
  const text = await response.text();
  seen.push({ status: response.status, request: `${init.method ?? 'GET'} ${path}`.slice(0, 200) });
  return { status: response.status, headers: response.headers, text, json: parseJson(text) };
}

interface CallOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
}

function headersFor({ token }: CallOptions): Record<string, string> {
  return token === undefined ? {} : { authorization: `Bearer ${token}` };
}

function inputQuery(input: unknown): string {
  return `?input=${encodeURIComponent(JSON.stringify(input))}`;
}

/** A tRPC query: `GET /trpc/<path>?input=<json>`. */
function query(path: string, input: unknown, options: CallOptions = {}): Promise<Reply> {
  return send(`/trpc/${path}${inputQuery(input)}`, { headers: headersFor(options) });
}

/** A tRPC mutation: `POST /trpc/<path>` with the JSON input as body. */
function mutate(path: string, input: unknown, options: CallOptions = {}): Promise<Reply> {
  return send(`/trpc/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headersFor(options) },
    body: JSON.stringify(input),
  });
}

/** Rejects unless `promise` settles within `ms`: a liveness bound, not a speed test. */
function within<T>(promise: Promise<T>, what: string, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------------------------------
// Assertion helpers
// ---------------------------------------------------------------------------------------

/** Asserts a 400 whose field errors name exactly `fields`. */
function expectFieldErrors(reply: Reply, fields: string[]): Record<string, string[]> {
  const error = expectError(reply, 400, 'BAD_REQUEST');
  const fieldErrors = error.data.fieldErrors ?? {};
  expect(Object.keys(fieldErrors).sort()).toEqual([...fields].sort());
  for (const field of fields) expect(fieldErrors[field]).toEqual([expect.any(String)]);
  return fieldErrors;
}

type Sortable = string | number;

/** Asserts `values` are in `order` (ties allowed). */
function expectInOrder(values: readonly Sortable[], order: 'asc' | 'desc'): void {
  const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  expect(values).toEqual(order === 'asc' ? sorted : sorted.reverse());
}

const ids = (items: readonly { id: string }[]) => items.map((item) => item.id);
const idSet = (items: readonly { id: string }[]) => new Set(ids(items));

// ---------------------------------------------------------------------------------------
// Domain helpers
// ---------------------------------------------------------------------------------------

let counter = 0;

function unique(tag: string): string {
  counter += 1;
  return `${tag}-${counter}-${process.pid}`;
}

interface Account {
  email: string;
  user: User;
  token: string;
}

async function signUp(tag: string): Promise<Account> {
  const email = `${unique(tag)}@example.com`;
  const result = dataOf<AuthResult>(
    await mutate('auth.signUp', { email, password: PASSWORD, name: `Name ${tag}` }),
  );
  return { email, user: result.user, token: result.session.token };
}

async function createWorkspace(token: string): Promise<Workspace> {
  return dataOf<Workspace>(
    await mutate('workspaces.create', { name: 'Acme', slug: unique('ws') }, { token }),
  );
}

/** A new account that joins the workspace with `role` through an invite. */
async function join(owner: Account, workspaceId: string, role: string): Promise<Account> {
  const account = await signUp(role);
  // Only a verified address may accept an invite: prove it from the mail, as a person does.
  await verifyEmailByMail(server, account.email);
  const invite = dataOf<{ inviteToken: string }>(
    await mutate(
      'members.invite',
      { workspaceId, email: account.email, role },
      { token: owner.token },
    ),
  );
  dataOf(
    await mutate(
      'members.acceptInvite',
      { inviteToken: invite.inviteToken },
      { token: account.token },
    ),
  );
  return account;
}

/** A workspace with an owner, an admin and two members, and an outsider with a workspace of
 * their own (who is a member of nothing else). */
interface Team {
  workspaceId: string;
  owner: Account;
  admin: Account;
  member: Account;
  colleague: Account;
  outsider: Account;
  outsiderWorkspaceId: string;
}

async function makeTeam(): Promise<Team> {
  const owner = await signUp('owner');
  const workspaceId = (await createWorkspace(owner.token)).id;
  const outsider = await signUp('outsider');
  const outsiderWorkspaceId = (await createWorkspace(outsider.token)).id;
  return {
    workspaceId,
    owner,
    admin: await join(owner, workspaceId, 'admin'),
    member: await join(owner, workspaceId, 'member'),
    colleague: await join(owner, workspaceId, 'member'),
    outsider,
    outsiderWorkspaceId,
  };
}

async function createProject(token: string, workspaceId: string, key: string): Promise<Project> {
  return dataOf<Project>(
    await mutate('projects.create', { workspaceId, name: `Project ${key}`, key }, { token }),
  );
}

async function createTask(
  token: string,
  projectId: string,
  fields: Record<string, unknown> = {},
): Promise<Task> {
  return dataOf<Task>(
    await mutate('tasks.create', { projectId, title: unique('Task'), ...fields }, { token }),
  );
}

async function getTask(token: string, taskId: string): Promise<Task> {
  return dataOf<Task>(await query('tasks.get', { taskId }, { token }));
}

function listTasks(token: string, input: Record<string, unknown>): Promise<Reply> {
  return query('tasks.list', input, { token });
}

/** Follows nextCursor from the first page to the last; returns the ids in order. */
async function walkTasks(
  token: string,
  input: Record<string, unknown>,
  limit: number,
  betweenPages: () => Promise<void> = async () => {},
): Promise<{ ids: string[]; pages: number }> {
  const walked: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page: Page<Task> = dataOf<Page<Task>>(
      await listTasks(token, { ...input, limit, ...(cursor === null ? {} : { cursor }) }),
    );
    pages += 1;
    expect(page.items.length).toBeLessThanOrEqual(limit);
    walked.push(...ids(page.items));
    cursor = page.nextCursor;
    if (pages > 200) throw new Error('the cursor walk does not end');
    if (cursor !== null) await betweenPages();
  } while (cursor !== null);
  return { ids: walked, pages };
}

// ---------------------------------------------------------------------------------------
// Server-sent events
// ---------------------------------------------------------------------------------------

/** One event of a text/event-stream body. */
interface SseEvent {
  /** The `event:` field; `message` when the event has none. */
  event: string;
  /** The `id:` field, when the event has one. */
  id: string | undefined;
  data: string;
}

/** A subscription read over raw HTTP. */
interface EventStream {
  status: number;
  contentType: string | null;
  /** The next event other than pings; fails the test after `ms`. */
  next(what: string, ms?: number): Promise<SseEvent>;
  /** Resolves when the server has ended the stream; fails the test after `ms`. */
  ended(ms?: number): Promise<void>;
  /** Aborts the request and waits for the reader to stop. */
  close(): Promise<void>;
}

const openStreams = new Set<EventStream>();

// A failed assertion must not leave a stream open behind it.
afterEach(async () => {
  await Promise.all([...openStreams].map((stream) => stream.close()));
});

function parseSseEvent(block: string): SseEvent | null {
  let event = 'message';
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const raw = colon === -1 ? '' : line.slice(colon + 1);
    const value = raw.startsWith(' ') ? raw.slice(1) : raw;
    if (field === 'event') event = value;
    else if (field === 'id') id = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0 && id === undefined) return null;
  return { event, id, data: data.join('\n') };
}

/** `GET /trpc/tasks.onChange?input=…` with `Accept: text/event-stream`, read as it arrives. */
async function openTaskChanges(
  input: unknown,
  options: CallOptions & { lastEventId?: string } = {},
): Promise<EventStream> {
  const controller = new AbortController();
  const path = `/trpc/tasks.onChange${inputQuery(input)}`;
  const headers: Record<string, string> = { accept: 'text/event-stream', ...headersFor(options) };
  if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
  const response = await within(
    fetch(`${server.url}${path}`, { headers, signal: controller.signal }),
    'the event stream to answer',
  );
  seen.push({ status: response.status, request: `GET ${path} (SSE)`.slice(0, 200) });
  const body = response.body;
  if (!body) throw new Error('the event stream has no body');
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const queue: SseEvent[] = [];
  let finished = false;
  let failure: unknown;
  // Set while `next` waits; a holder, not a `let`, since two closures share it.
  const waiter: { wake: (() => void) | null } = { wake: null };

  const pump = (async () => {
    let buffer = '';
    try {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) break;
        buffer = (buffer + decoder.decode(chunk.value, { stream: true })).replace(/\r\n/g, '\n');
        let end = buffer.indexOf('\n\n');
        while (end !== -1) {
          const event = parseSseEvent(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (event) queue.push(event);
          end = buffer.indexOf('\n\n');
        }
        waiter.wake?.();
      }
    } catch (error) {
      if (!controller.signal.aborted) failure = error;
    } finally {
      finished = true;
      waiter.wake?.();
    }
  })();

  const stream: EventStream = {
    status: response.status,
    contentType: response.headers.get('content-type'),
    next(what, ms = 5000) {
      const take = async (): Promise<SseEvent> => {
        for (;;) {
          const event = queue.shift();
          if (event) {
            if (event.event !== 'ping') return event;
            continue;
          }
          if (finished) throw new Error(`${what}: the stream ended (${String(failure ?? 'done')})`);
          await new Promise<void>((resolve) => {
            waiter.wake = resolve;
          });
          waiter.wake = null;
        }
      };
      return within(take(), what, ms);
    },
    ended(ms = 5000) {
      return within(pump, 'the end of the stream', ms);
    },
    async close() {
      openStreams.delete(stream);
      controller.abort();
      await reader.cancel().catch(() => {});
      await pump;
    },
  };
  openStreams.add(stream);
  return stream;
}

/** Opens a stream and waits for tRPC's `connected` event: from then on nothing is missed. */
async function subscribeTaskChanges(
  input: unknown,
  options: CallOptions & { lastEventId?: string } = {},
): Promise<EventStream> {
  const stream = await openTaskChanges(input, options);
  expect(stream.status).toBe(200);
  expect(stream.contentType).toMatch(/^text\/event-stream/);
  expect((await stream.next('the connected event')).event).toBe('connected');
  return stream;
}

/** The next event, which must be a task change; its SSE id must be the change's id. */
async function nextChange(stream: EventStream, what: string): Promise<TaskChange> {
  const event = await stream.next(what);
  expect(event.event, event.data).toBe('message');
  const change = JSON.parse(event.data) as TaskChange;
  expect(event.id).toEqual(expect.any(String));
  expect(event.id).not.toBe('');
  expect(change.id).toBe(event.id);
  return change;
}

const summary = (change: TaskChange) => [change.type, change.task.id, change.task.version];

// ---------------------------------------------------------------------------------------
// projects
// ---------------------------------------------------------------------------------------

describe('projects', () => {
  let team: Team;
  beforeAll(async () => {
    team = await makeTeam();
  });

  it('an admin creates a project: 200 with id, key, name, timestamps and no archivedAt', async () => {
    const reply = await mutate(
      'projects.create',
      { workspaceId: team.workspaceId, name: 'Engineering', key: 'ENG' },
      { token: team.admin.token },
    );

    const project = dataOf<Project>(reply);
    expect(project).toEqual({
      id: expect.any(String),
      workspaceId: team.workspaceId,
      key: 'ENG',
      name: 'Engineering',
      archivedAt: null,
      createdAt: expect.stringMatching(ISO_INSTANT),
      updatedAt: project.createdAt,
    });
  });

  it.each(['A', 'ABCDEFGHIJK', 'eng', 'Eng', 'EN1', 'ÉNG', 'E G', 'E-G', ''])(
    'refuses the key %j with 400 and data.fieldErrors.key',
    async (key) => {
      const reply = await mutate(
        'projects.create',
        { workspaceId: team.workspaceId, name: 'Bad key', key },
        { token: team.admin.token },
      );

      expectFieldErrors(reply, ['key']);
    },
  );

  it('accepts keys of 2 and of 10 uppercase letters', async () => {
    for (const key of ['AB', 'ABCDEFGHIJ']) {
      expect((await createProject(team.admin.token, team.workspaceId, key)).key).toBe(key);
    }
  });

  it('refuses a key the workspace already has with 409 CONFLICT, and keeps one project', async () => {
    await createProject(team.admin.token, team.workspaceId, 'DUP');

    const reply = await mutate(
      'projects.create',
      { workspaceId: team.workspaceId, name: 'Again', key: 'DUP' },
      { token: team.owner.token },
    );

    expectError(reply, 409, 'CONFLICT');
    const projects = dataOf<Project[]>(
      await query('projects.list', { workspaceId: team.workspaceId }, { token: team.owner.token }),
    );
    expect(projects.filter((project) => project.key === 'DUP')).toHaveLength(1);
  });

  it('lets another workspace use the same key', async () => {
    await createProject(team.admin.token, team.workspaceId, 'SAME');

    const other = await createProject(team.outsider.token, team.outsiderWorkspaceId, 'SAME');

    expect(other.workspaceId).toBe(team.outsiderWorkspaceId);
  });

  it('lists, gets, renames and archives; archived projects leave the default list', async () => {
    const web = await createProject(team.admin.token, team.workspaceId, 'WEB');
    const ops = await createProject(team.admin.token, team.workspaceId, 'OPS');
    const list = (input: Record<string, unknown>) =>
      query(
        'projects.list',
        { workspaceId: team.workspaceId, ...input },
        { token: team.member.token },
      );

    const listed = dataOf<Project[]>(await list({}));
    expect(listed).toEqual(expect.arrayContaining([web, ops]));
    expect(
      dataOf<Project>(
        await query('projects.get', { projectId: web.id }, { token: team.member.token }),
      ),
    ).toEqual(web);

    const renamed = dataOf<Project>(
      await mutate(
        'projects.update',
        { projectId: web.id, name: 'Website' },
        { token: team.admin.token },
      ),
    );
    expect(renamed).toEqual({
      ...web,
      name: 'Website',
      updatedAt: expect.stringMatching(ISO_INSTANT),
    });
    expect(renamed.updatedAt >= web.updatedAt).toBe(true);
    expect(
      dataOf<Project>(
        await query('projects.get', { projectId: web.id }, { token: team.member.token }),
      ),
    ).toEqual(renamed);

    const archived = dataOf<Project>(
      await mutate('projects.archive', { projectId: ops.id }, { token: team.admin.token }),
    );
    expect(archived).toEqual({
      ...ops,
      archivedAt: expect.stringMatching(ISO_INSTANT),
      updatedAt: expect.stringMatching(ISO_INSTANT),
    });
    expect(ids(dataOf<Project[]>(await list({})))).not.toContain(ops.id);
    expect(dataOf<Project[]>(await list({ includeArchived: true }))).toEqual(
      expect.arrayContaining([renamed, archived]),
    );
  });

  it('refuses project management to a member with 403 FORBIDDEN, and changes nothing', async () => {
    const project = await createProject(team.admin.token, team.workspaceId, 'MEM');
    const token = team.member.token;

    expectError(
      await mutate(
        'projects.create',
        { workspaceId: team.workspaceId, name: 'Mine', key: 'MINE' },
        { token },
      ),
      403,
      'FORBIDDEN',
    );
    expectError(
      await mutate('projects.update', { projectId: project.id, name: 'X' }, { token }),
      403,
      'FORBIDDEN',
    );
    expectError(
      await mutate('projects.archive', { projectId: project.id }, { token }),
      403,
      'FORBIDDEN',
    );

    const all = dataOf<Project[]>(
      await query(
        'projects.list',
        { workspaceId: team.workspaceId, includeArchived: true },
        { token },
      ),
    );
    expect(all.map((p) => p.key)).not.toContain('MINE');
    expect(all).toContainEqual(project);
  });

  it('answers an outsider 404 NOT_FOUND on every procedure, exactly as for an id that does not exist', async () => {
    const project = await createProject(team.admin.token, team.workspaceId, 'PRIV');
    const token = team.outsider.token;

    const missing = expectError(
      await query('projects.get', { projectId: 'no-such-project' }, { token }),
      404,
      'NOT_FOUND',
    );
    const foreign = expectError(
      await query('projects.get', { projectId: project.id }, { token }),
      404,
      'NOT_FOUND',
    );
    expect(foreign.message).toBe(missing.message);
    expectError(
      await query('projects.list', { workspaceId: team.workspaceId }, { token }),
      404,
      'NOT_FOUND',
    );
    expectError(
      await mutate(
        'projects.create',
        { workspaceId: team.workspaceId, name: 'In', key: 'INTO' },
        { token },
      ),
      404,
      'NOT_FOUND',
    );
    expectError(
      await mutate('projects.update', { projectId: project.id, name: 'X' }, { token }),
      404,
      'NOT_FOUND',
    );
    expectError(
      await mutate('projects.archive', { projectId: project.id }, { token }),
      404,
      'NOT_FOUND',
    );

    expect(
      dataOf<Project>(
        await query('projects.get', { projectId: project.id }, { token: team.owner.token }),
      ),
    ).toEqual(project);
  });

  it('answers a request without credentials with 401 UNAUTHORIZED', async () => {
    expectError(
      await query('projects.list', { workspaceId: team.workspaceId }),
      401,
      'UNAUTHORIZED',
    );
  });
});

// ---------------------------------------------------------------------------------------
// tasks
// ---------------------------------------------------------------------------------------

describe('tasks', () => {
  let team: Team;
  let project: Project;
  beforeAll(async () => {
    team = await makeTeam();
    project = await createProject(team.admin.token, team.workspaceId, 'TSK');
  });

  it('tasks.create answers the task with id, number, key KEY-number and version 1', async () => {
    const first = await createTask(team.member.token, project.id, {
      title: 'Ship the parser',
      description: 'All of it.\n\nEven the *tricky* parts.',
      status: 'in_progress',
      priority: 3,
      assigneeId: team.colleague.user.id,
      labels: ['bug', 'ui'],
      dueAt: '2030-01-02T03:04:05.000Z',
    });
    const second = await createTask(team.member.token, project.id, { title: 'Write docs' });

    expect(first).toEqual({
      id: expect.any(String),
      workspaceId: team.workspaceId,
      projectId: project.id,
      number: first.number,
      key: `TSK-${first.number}`,
      title: 'Ship the parser',
      description: 'All of it.\n\nEven the *tricky* parts.',
      status: 'in_progress',
      priority: 3,
      assigneeId: team.colleague.user.id,
      labels: ['bug', 'ui'],
      dueAt: '2030-01-02T03:04:05.000Z',
      version: 1,
      createdBy: team.member.user.id,
      createdAt: expect.stringMatching(ISO_INSTANT),
      updatedAt: first.createdAt,
      completedAt: null,
    });
    expect(first.number).toBe(1);
    expect(second).toMatchObject({ number: 2, key: 'TSK-2', version: 1, title: 'Write docs' });
    expect(second.id).not.toBe(first.id);
  });

  describe('input validation', () => {
    let validation: Project;
    beforeAll(async () => {
      validation = await createProject(team.admin.token, team.workspaceId, 'VAL');
    });

    it.each([
      ['an empty title', { title: '' }, 'title'],
      ['a 201-character title', { title: 'x'.repeat(201) }, 'title'],
      ['a 20,001-character description', { description: 'd'.repeat(20_001) }, 'description'],
      ['21 labels', { labels: Array.from({ length: 21 }, (_, i) => `label-${i}`) }, 'labels'],
      ['a 41-character label', { labels: ['l'.repeat(41)] }, 'labels.0'],
      ['an empty label', { labels: [''] }, 'labels.0'],
      ['priority 5', { priority: 5 }, 'priority'],
      ['priority -1', { priority: -1 }, 'priority'],
      ['priority 1.5', { priority: 1.5 }, 'priority'],
      ['an unknown status', { status: 'blocked' }, 'status'],
      ['an unknown key', { color: 'red' }, 'color'],
    ] satisfies [string, Record<string, unknown>, string][])(
      'refuses %s with 400 and data.fieldErrors naming it',
      async (_label, fields, field) => {
        const reply = await mutate(
          'tasks.create',
          { projectId: validation.id, title: 'Valid title', ...fields },
          { token: team.member.token },
        );

        expectFieldErrors(reply, [field]);
      },
    );

    it('accepts the bounds: 200-character title, 20,000-character description, 20 labels of 40, priorities 0 and 4', async () => {
      const labels = Array.from(
        { length: 20 },
        (_, i) => `${String(i).padStart(2, '0')}${'l'.repeat(38)}`,
      );

      const big = await createTask(team.member.token, validation.id, {
        title: 't'.repeat(200),
        description: 'd'.repeat(20_000),
        labels,
        priority: 4,
      });
      const low = await createTask(team.member.token, validation.id, { priority: 0 });

      expect(big.title).toHaveLength(200);
      expect(big.description).toHaveLength(20_000);
      expect([...big.labels].sort()).toEqual([...labels].sort());
      expect(big.priority).toBe(4);
      expect(low.priority).toBe(0);
    });

    it('every status of the contract is accepted', async () => {
      for (const status of ['backlog', 'todo', 'in_progress', 'done', 'canceled'] as const) {
        expect((await createTask(team.member.token, validation.id, { status })).status).toBe(
          status,
        );
      }
    });

    it('the refused creates wrote nothing', async () => {
      const page = dataOf<Page<Task>>(
        await listTasks(team.member.token, {
          workspaceId: team.workspaceId,
          projectId: validation.id,
          limit: 100,
        }),
      );

      // Every refused create above was titled 'Valid title'; the accepted ones were not.
      expect(page.items.map((task) => task.title)).not.toContain('Valid title');
    });
  });

  it('tasks.get answers the task as created', async () => {
    const task = await createTask(team.member.token, project.id, { labels: ['one'] });

    expect(await getTask(team.colleague.token, task.id)).toEqual(task);
  });

  it('tasks.update with the current expectedVersion answers the task at version+1', async () => {
    const task = await createTask(team.member.token, project.id, { title: 'Before' });

    const updated = dataOf<Task>(
      await mutate(
        'tasks.update',
        {
          taskId: task.id,
          expectedVersion: 1,
          patch: { title: 'After', status: 'done', priority: 2 },
        },
        { token: team.colleague.token },
      ),
    );

    expect(updated).toEqual({
      ...task,
      title: 'After',
      status: 'done',
      priority: 2,
      version: 2,
      updatedAt: expect.stringMatching(ISO_INSTANT),
      completedAt: expect.stringMatching(ISO_INSTANT),
    });
    expect(updated.updatedAt >= task.updatedAt).toBe(true);
    expect(await getTask(team.member.token, task.id)).toEqual(updated);
  });

  it('a stale expectedVersion is 409 CONFLICT and a following get shows the row unchanged', async () => {
    const task = await createTask(team.member.token, project.id, { title: 'Original' });
    const v2 = dataOf<Task>(
      await mutate(
        'tasks.update',
        { taskId: task.id, expectedVersion: 1, patch: { title: 'First edit' } },
        { token: team.member.token },
      ),
    );

    const reply = await mutate(
      'tasks.update',
      { taskId: task.id, expectedVersion: 1, patch: { title: 'Lost edit', labels: ['lost'] } },
      { token: team.colleague.token },
    );

    expectError(reply, 409, 'CONFLICT');
    expect(await getTask(team.member.token, task.id)).toEqual(v2);
    expectError(
      await mutate(
        'tasks.update',
        { taskId: task.id, expectedVersion: 3, patch: { title: 'From the future' } },
        { token: team.colleague.token },
      ),
      409,
      'CONFLICT',
    );
    expect(await getTask(team.member.token, task.id)).toEqual(v2);
  });

  it('tasks.update refuses invalid patches with 400 naming the field', async () => {
    const task = await createTask(team.member.token, project.id);
    const update = (patch: Record<string, unknown>) =>
      mutate(
        'tasks.update',
        { taskId: task.id, expectedVersion: 1, patch },
        { token: team.member.token },
      );

    expectFieldErrors(await update({ title: '' }), ['patch.title']);
    expectFieldErrors(await update({ priority: 5 }), ['patch.priority']);
    expectFieldErrors(await update({ status: 'blocked' }), ['patch.status']);
    expect(await getTask(team.member.token, task.id)).toEqual(task);
  });

  it('tasks.delete answers 200; afterwards get, update and delete answer 404', async () => {
    const task = await createTask(team.member.token, project.id);
    const token = team.member.token;

    expect(dataOf(await mutate('tasks.delete', { taskId: task.id }, { token }))).toBeDefined();

    expectError(await query('tasks.get', { taskId: task.id }, { token }), 404, 'NOT_FOUND');
    expectError(
      await mutate(
        'tasks.update',
        { taskId: task.id, expectedVersion: 1, patch: { title: 'x' } },
        { token },
      ),
      404,
      'NOT_FOUND',
    );
    expectError(await mutate('tasks.delete', { taskId: task.id }, { token }), 404, 'NOT_FOUND');
  });

  it('a task id from another workspace is 404 on get, update, delete and comments, as for a missing id', async () => {
    const foreignProject = await createProject(
      team.outsider.token,
      team.outsiderWorkspaceId,
      'OUT',
    );
    const foreign = await createTask(team.outsider.token, foreignProject.id, { title: 'Secret' });
    const token = team.owner.token;

    const missing = expectError(
      await query('tasks.get', { taskId: 'no-such-task' }, { token }),
      404,
      'NOT_FOUND',
    );
    const other = expectError(
      await query('tasks.get', { taskId: foreign.id }, { token }),
      404,
      'NOT_FOUND',
    );
    expect(other.message).toBe(missing.message);
    expectError(
      await mutate(
        'tasks.update',
        { taskId: foreign.id, expectedVersion: 1, patch: { title: 'Mine' } },
        { token },
      ),
      404,
      'NOT_FOUND',
    );
    expectError(await mutate('tasks.delete', { taskId: foreign.id }, { token }), 404, 'NOT_FOUND');
    expectError(
      await mutate('comments.create', { taskId: foreign.id, body: 'hi' }, { token }),
      404,
      'NOT_FOUND',
    );
    expectError(
      await mutate('tasks.create', { projectId: foreignProject.id, title: 'Planted' }, { token }),
      404,
      'NOT_FOUND',
    );

    expect(await getTask(team.outsider.token, foreign.id)).toEqual(foreign);
  });

  it('refuses an assignee who is not a member with 400 and data.fieldErrors.assigneeId', async () => {
    const reply = await mutate(
      'tasks.create',
      { projectId: project.id, title: 'Outsourced', assigneeId: team.outsider.user.id },
      { token: team.member.token },
    );

    expectFieldErrors(reply, ['assigneeId']);
  });

  it('a viewer reads tasks but creating, editing or commenting is 403 FORBIDDEN', async () => {
    const viewer = await join(team.owner, team.workspaceId, 'viewer');
    const task = await createTask(team.member.token, project.id);
    const token = viewer.token;

    expect(await getTask(token, task.id)).toEqual(task);
    expectError(
      await mutate('tasks.create', { projectId: project.id, title: 'Nope' }, { token }),
      403,
      'FORBIDDEN',
    );
    expectError(
      await mutate(
        'tasks.update',
        { taskId: task.id, expectedVersion: 1, patch: { title: 'Nope' } },
        { token },
      ),
      403,
      'FORBIDDEN',
    );
    expectError(await mutate('tasks.delete', { taskId: task.id }, { token }), 403, 'FORBIDDEN');
    expectError(
      await mutate('comments.create', { taskId: task.id, body: 'Nope' }, { token }),
      403,
      'FORBIDDEN',
    );
    expect(await getTask(token, task.id)).toEqual(task);
  });

  it('a task cannot be created in an archived project (answered 409 CONFLICT)', async () => {
    const old = await createProject(team.admin.token, team.workspaceId, 'OLD');
    dataOf(await mutate('projects.archive', { projectId: old.id }, { token: team.admin.token }));

    const reply = await mutate(
      'tasks.create',
      { projectId: old.id, title: 'Too late' },
      { token: team.member.token },
    );

    expectError(reply, 409, 'CONFLICT');
  });

  it('10 concurrent tasks.create requests get 10 distinct numbers', async () => {
    const race = await createProject(team.admin.token, team.workspaceId, 'RACE');

    const replies = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        mutate(
          'tasks.create',
          { projectId: race.id, title: `Racer ${i}` },
          { token: team.member.token },
        ),
      ),
    );

    const tasks = replies.map((reply) => dataOf<Task>(reply));
    const numbers = tasks.map((task) => task.number);
    expect(new Set(numbers).size).toBe(10);
    for (const task of tasks) {
      expect(task.key).toBe(`RACE-${task.number}`);
      expect(task.version).toBe(1);
    }
    const listed = dataOf<Page<Task>>(
      await listTasks(team.member.token, { workspaceId: team.workspaceId, projectId: race.id }),
    );
    expect(listed.items.map((task) => task.number).sort((a, b) => a - b)).toEqual(
      [...numbers].sort((a, b) => a - b),
    );
  });
});

// ---------------------------------------------------------------------------------------
// tasks.list
// ---------------------------------------------------------------------------------------

describe('tasks.list', () => {
  let team: Team;
  let alpha: Project;
  let beta: Project;
  /** Six tasks over two projects, by name. */
  const t: Record<'parser' | 'logo' | 'crash' | 'bench' | 'docs' | 'reporter', Task> = {} as Record<
    'parser' | 'logo' | 'crash' | 'bench' | 'docs' | 'reporter',
    Task
  >;
  let all: Task[];

  beforeAll(async () => {
    team = await makeTeam();
    alpha = await createProject(team.admin.token, team.workspaceId, 'ALPHA');
    beta = await createProject(team.admin.token, team.workspaceId, 'BETA');
    const token = team.member.token;
    const member = team.member.user.id;
    t.parser = await createTask(token, alpha.id, {
      title: 'Write the parser',
      status: 'todo',
      priority: 1,
      labels: ['backend'],
      dueAt: '2030-03-01T00:00:00.000Z',
    });
    t.logo = await createTask(token, alpha.id, {
      title: 'Design the logo',
      status: 'in_progress',
      priority: 4,
      assigneeId: member,
      labels: ['design'],
      dueAt: '2030-01-01T00:00:00.000Z',
    });
    t.crash = await createTask(token, alpha.id, {
      title: 'Fix login crash',
      status: 'done',
      priority: 3,
      assigneeId: member,
      labels: ['backend', 'bug'],
    });
    t.bench = await createTask(token, beta.id, {
      title: 'Parser benchmarks',
      status: 'backlog',
      priority: 2,
      dueAt: '2030-02-01T00:00:00.000Z',
    });
    t.docs = await createTask(token, beta.id, {
      title: 'Update docs',
      status: 'canceled',
      priority: 0,
      assigneeId: team.admin.user.id,
    });
    t.reporter = await createTask(token, beta.id, {
      title: 'Crash reporter',
      status: 'todo',
      priority: 4,
      labels: ['bug'],
      dueAt: '2030-02-01T00:00:00.000Z',
    });
    // The most recently updated task is the first one created.
    t.parser = dataOf<Task>(
      await mutate(
        'tasks.update',
        { taskId: t.parser.id, expectedVersion: 1, patch: { description: 'Recursive descent' } },
        { token },
      ),
    );
    all = Object.values(t);
  });

  const page = async (input: Record<string, unknown>) =>
    dataOf<Page<Task>>(
      await listTasks(team.member.token, { workspaceId: team.workspaceId, ...input }),
    );

  it('without filters answers every task of the workspace as {items, nextCursor: null}', async () => {
    const result = await page({});

    expect(result.nextCursor).toBeNull();
    expect(result.items).toHaveLength(all.length);
    expect(result.items).toEqual(expect.arrayContaining(all));
  });

  it.each([
    ['projectId', () => ({ projectId: alpha.id }), ['parser', 'logo', 'crash']],
    ['status[]', () => ({ status: ['todo', 'done'] }), ['parser', 'crash', 'reporter']],
    ['assigneeId', () => ({ assigneeId: team.member.user.id }), ['logo', 'crash']],
    ['label', () => ({ label: 'backend' }), ['parser', 'crash']],
    ['q (a title word)', () => ({ q: 'parser' }), ['parser', 'bench']],
    ['q (a word prefix)', () => ({ q: 'cras' }), ['crash', 'reporter']],
    ['q (a description word)', () => ({ q: 'recursive' }), ['parser']],
    [
      'projectId + status + label',
      () => ({ projectId: alpha.id, status: ['todo', 'in_progress'], label: 'backend' }),
      ['parser'],
    ],
    ['a label nobody uses', () => ({ label: 'nope' }), []],
  ] satisfies [string, () => Record<string, unknown>, (keyof typeof t)[]][])(
    'filters by %s',
    async (_label, input, expected) => {
      const result = await page(input());

      expect(new Set(ids(result.items))).toEqual(new Set(expected.map((name) => t[name].id)));
      expect(result.items).toHaveLength(expected.length);
      expect(result.nextCursor).toBeNull();
    },
  );

  it.each([
    ['created', 'createdAt'],
    ['updated', 'updatedAt'],
    ['priority', 'priority'],
  ] as const)('sorts by %s in both orders', async (sort, field) => {
    for (const order of ['asc', 'desc'] as const) {
      const result = await page({ sort, order });

      expect(idSet(result.items)).toEqual(idSet(all));
      expectInOrder(
        result.items.map((task) => task[field]),
        order,
      );
    }
  });

  it('sorts by updated desc with the last-updated task first', async () => {
    const result = await page({ sort: 'updated', order: 'desc' });

    expect(result.items[0]?.id).toBe(t.parser.id);
  });

  it('sorts by due in both orders, tasks without a due date last', async () => {
    for (const order of ['asc', 'desc'] as const) {
      const result = await page({ sort: 'due', order });

      expect(idSet(result.items)).toEqual(idSet(all));
      const dues = result.items.map((task) => task.dueAt);
      const dated = dues.filter((due): due is string => due !== null);
      expect(dues.slice(dated.length)).toEqual([null, null]);
      expectInOrder(dated, order);
    }
  });

  it.each([
    ['limit 101', { limit: 101 }, 'limit'],
    ['limit 0', { limit: 0 }, 'limit'],
    ['an unknown sort', { sort: 'title' }, 'sort'],
    ['an unknown order', { order: 'sideways' }, 'order'],
    ['an unknown status', { status: ['blocked'] }, 'status.0'],
    ['a garbage cursor', { cursor: 'garbage' }, 'cursor'],
    [
      'a cursor of base64 garbage',
      { cursor: Buffer.from('{"x":1}').toString('base64url') },
      'cursor',
    ],
    ['an unknown key', { color: 'red' }, 'color'],
  ] satisfies [string, Record<string, unknown>, string][])(
    'refuses %s with 400 and data.fieldErrors naming it',
    async (_label, input, field) => {
      expectFieldErrors(
        await listTasks(team.member.token, { workspaceId: team.workspaceId, ...input }),
        [field],
      );
    },
  );

  it('accepts limit 100', async () => {
    expect((await page({ limit: 100 })).items).toHaveLength(all.length);
  });

  it('answers an outsider 404, and a project of another workspace 404', async () => {
    expectError(
      await listTasks(team.outsider.token, { workspaceId: team.workspaceId }),
      404,
      'NOT_FOUND',
    );
    const foreign = await createProject(team.outsider.token, team.outsiderWorkspaceId, 'FOR');
    expectError(
      await listTasks(team.member.token, { workspaceId: team.workspaceId, projectId: foreign.id }),
      404,
      'NOT_FOUND',
    );
  });

  describe('cursor walks', () => {
    let walk: Project;
    let walkTasksCreated: Task[];
    beforeAll(async () => {
      walk = await createProject(team.admin.token, team.workspaceId, 'WALK');
      // Ties on every sort key, so that pages have to break them.
      walkTasksCreated = await Promise.all(
        Array.from({ length: 23 }, (_, i) =>
          createTask(team.member.token, walk.id, {
            title: `Walker ${i}`,
            priority: i % 3,
            ...(i % 4 === 0 ? {} : { dueAt: `2031-0${1 + (i % 3)}-01T00:00:00.000Z` }),
          }),
        ),
      );
    });

    it.each([
      ['created', 'desc'],
      ['created', 'asc'],
      ['updated', 'desc'],
      ['updated', 'asc'],
      ['priority', 'desc'],
      ['priority', 'asc'],
      ['due', 'desc'],
      ['due', 'asc'],
    ] as const)(
      'walks sort %s %s in pages of 5: every task once, in the one-page order, nextCursor null at the end',
      async (sort, order) => {
        const input = { workspaceId: team.workspaceId, projectId: walk.id, sort, order };
        const onePage = dataOf<Page<Task>>(
          await listTasks(team.member.token, { ...input, limit: 100 }),
        );

        const walked = await walkTasks(team.member.token, input, 5);

        expect(walked.pages).toBe(5);
        expect(new Set(walked.ids).size).toBe(23);
        expect(new Set(walked.ids)).toEqual(idSet(walkTasksCreated));
        expect(walked.ids).toEqual(ids(onePage.items));
      },
    );

    it('walks a filtered query (status and label) across pages', async () => {
      const labelled = await createProject(team.admin.token, team.workspaceId, 'LBL');
      const created = await Promise.all(
        Array.from({ length: 9 }, (_, i) =>
          createTask(team.member.token, labelled.id, {
            status: i % 2 === 0 ? 'todo' : 'done',
            labels: i % 3 === 0 ? ['other'] : ['wanted'],
          }),
        ),
      );
      const expected = created.filter(
        (task) => task.status === 'todo' && task.labels.includes('wanted'),
      );

      const walked = await walkTasks(
        team.member.token,
        {
          workspaceId: team.workspaceId,
          projectId: labelled.id,
          status: ['todo'],
          label: 'wanted',
        },
        2,
      );

      expect(walked.ids).toHaveLength(expected.length);
      expect(new Set(walked.ids)).toEqual(idSet(expected));
    });

    it.each(['asc', 'desc'] as const)(
      'a created %s walk sees each original task exactly once while tasks are inserted between pages',
      async (order) => {
        const busy = await createProject(
          team.admin.token,
          team.workspaceId,
          order === 'asc' ? 'BUSYA' : 'BUSYD',
        );
        const originals = await Promise.all(
          Array.from({ length: 12 }, () => createTask(team.member.token, busy.id)),
        );

        const walked = await walkTasks(
          team.member.token,
          { workspaceId: team.workspaceId, projectId: busy.id, sort: 'created', order },
          4,
          async () => {
            await createTask(team.colleague.token, busy.id);
            await createTask(team.colleague.token, busy.id);
          },
        );

        expect(new Set(walked.ids).size).toBe(walked.ids.length);
        const originalIds = idSet(originals);
        expect(walked.ids.filter((id) => originalIds.has(id)).sort()).toEqual(
          [...originalIds].sort(),
        );
      },
    );
  });
});

// ---------------------------------------------------------------------------------------
// comments
// ---------------------------------------------------------------------------------------

describe('comments', () => {
  const HOSTILE_BODY = '<img src=x onerror=alert(1)>\n  x  ';
  let team: Team;
  let task: Task;
  beforeAll(async () => {
    team = await makeTeam();
    const project = await createProject(team.admin.token, team.workspaceId, 'COM');
    task = await createTask(team.member.token, project.id, { title: 'Talk about it' });
  });

  async function comment(token: string, body: string): Promise<Comment> {
    return dataOf<Comment>(await mutate('comments.create', { taskId: task.id, body }, { token }));
  }

  it('comments.create returns the body verbatim: no trimming, no HTML escaping', async () => {
    const reply = await mutate(
      'comments.create',
      { taskId: task.id, body: HOSTILE_BODY },
      { token: team.member.token },
    );

    const created = dataOf<Comment>(reply);
    expect(reply.text).toContain(JSON.stringify(HOSTILE_BODY));
    expect(reply.text).not.toContain('&lt;');
    expect(created).toEqual({
      id: expect.any(String),
      taskId: task.id,
      authorId: team.member.user.id,
      authorName: team.member.user.name,
      body: HOSTILE_BODY,
      createdAt: expect.stringMatching(ISO_INSTANT),
      updatedAt: created.createdAt,
      edited: false,
    });
    const listed = await query(
      'comments.list',
      { taskId: task.id },
      { token: team.colleague.token },
    );
    expect(listed.text).toContain(JSON.stringify(HOSTILE_BODY));
    expect(dataOf<Page<Comment>>(listed).items).toContainEqual(created);
  });

  it('comments.list answers the task’s comments oldest first, with cursor pages', async () => {
    const listTask = await createTask(team.member.token, task.projectId, { title: 'Listed' });
    const bodies = ['one', 'two', 'three', 'four', 'five'];
    const made: Comment[] = [];
    for (const body of bodies) {
      made.push(
        dataOf<Comment>(
          await mutate(
            'comments.create',
            { taskId: listTask.id, body },
            { token: team.member.token },
          ),
        ),
      );
    }

    const all = dataOf<Page<Comment>>(
      await query('comments.list', { taskId: listTask.id }, { token: team.owner.token }),
    );
    expect(all).toEqual({ items: made, nextCursor: null });

    const first = dataOf<Page<Comment>>(
      await query('comments.list', { taskId: listTask.id, limit: 3 }, { token: team.owner.token }),
    );
    expect(first.items).toEqual(made.slice(0, 3));
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = dataOf<Page<Comment>>(
      await query(
        'comments.list',
        { taskId: listTask.id, limit: 3, cursor: first.nextCursor },
        { token: team.owner.token },
      ),
    );
    expect(second).toEqual({ items: made.slice(3), nextCursor: null });
    expectFieldErrors(
      await query(
        'comments.list',
        { taskId: listTask.id, cursor: 'garbage' },
        { token: team.owner.token },
      ),
      ['cursor'],
    );
  });

  it('the author edits their comment: 200 with the new body, verbatim, marked edited', async () => {
    const created = await comment(team.member.token, 'first draft');

    const reply = await mutate(
      'comments.update',
      { commentId: created.id, body: '  second <b>draft</b>  ' },
      { token: team.member.token },
    );

    expect(dataOf<Comment>(reply)).toEqual({
      ...created,
      body: '  second <b>draft</b>  ',
      updatedAt: expect.stringMatching(ISO_INSTANT),
      edited: true,
    });
  });

  it('another member (and an admin) editing it is 403 FORBIDDEN, and the body stays', async () => {
    const created = await comment(team.member.token, 'my words');

    for (const other of [team.colleague, team.admin]) {
      expectError(
        await mutate(
          'comments.update',
          { commentId: created.id, body: 'your words' },
          { token: other.token },
        ),
        403,
        'FORBIDDEN',
      );
    }

    const listed = dataOf<Page<Comment>>(
      await query('comments.list', { taskId: task.id, limit: 100 }, { token: team.member.token }),
    );
    expect(listed.items).toContainEqual(created);
  });

  it('another member deleting it is 403; an admin deleting it is 200 and it is gone', async () => {
    const created = await comment(team.member.token, 'delete me');

    expectError(
      await mutate('comments.delete', { commentId: created.id }, { token: team.colleague.token }),
      403,
      'FORBIDDEN',
    );
    expect(
      dataOf(
        await mutate('comments.delete', { commentId: created.id }, { token: team.admin.token }),
      ),
    ).toBeDefined();

    const listed = dataOf<Page<Comment>>(
      await query('comments.list', { taskId: task.id, limit: 100 }, { token: team.member.token }),
    );
    expect(ids(listed.items)).not.toContain(created.id);
    expectError(
      await mutate(
        'comments.update',
        { commentId: created.id, body: 'back' },
        { token: team.member.token },
      ),
      404,
      'NOT_FOUND',
    );
  });

  it('the author deletes their own comment with 200', async () => {
    const created = await comment(team.colleague.token, 'mine to delete');

    expect(
      dataOf(
        await mutate('comments.delete', { commentId: created.id }, { token: team.colleague.token }),
      ),
    ).toBeDefined();
  });

  it.each([
    ['an empty body', ''],
    ['a 10,001-character body', 'b'.repeat(10_001)],
  ])('refuses %s with 400 and data.fieldErrors.body', async (_label, body) => {
    expectFieldErrors(
      await mutate('comments.create', { taskId: task.id, body }, { token: team.member.token }),
      ['body'],
    );
  });

  it('accepts a 10,000-character body and returns all of it', async () => {
    const body = `${'b'.repeat(9_998)} \n`;

    expect((await comment(team.member.token, body)).body).toBe(body);
  });

  it('answers an outsider 404 on the task’s comments', async () => {
    const created = await comment(team.member.token, 'inside');
    const token = team.outsider.token;

    expectError(await query('comments.list', { taskId: task.id }, { token }), 404, 'NOT_FOUND');
    expectError(
      await mutate('comments.update', { commentId: created.id, body: 'x' }, { token }),
      404,
      'NOT_FOUND',
    );
    expectError(
      await mutate('comments.delete', { commentId: created.id }, { token }),
      404,
      'NOT_FOUND',
    );
  });
});

// ---------------------------------------------------------------------------------------
// activity.list
// ---------------------------------------------------------------------------------------

describe('activity.list', () => {
  let team: Team;
  let task: Task;
  let updated: Task;
  let commented: Comment;
  beforeAll(async () => {
    team = await makeTeam();
    const project = await createProject(team.admin.token, team.workspaceId, 'ACT');
    task = await createTask(team.member.token, project.id, { title: 'Logged' });
    updated = dataOf<Task>(
      await mutate(
        'tasks.update',
        { taskId: task.id, expectedVersion: 1, patch: { status: 'in_progress' } },
        { token: team.member.token },
      ),
    );
    commented = dataOf<Comment>(
      await mutate(
        'comments.create',
        { taskId: task.id, body: 'On it' },
        { token: team.member.token },
      ),
    );
  });

  it('lists a task’s entries newest first: comment.created, task.updated, task.created', async () => {
    const result = dataOf<Page<ActivityEntry>>(
      await query(
        'activity.list',
        { workspaceId: team.workspaceId, taskId: task.id },
        { token: team.colleague.token },
      ),
    );

    expect(result.items.map((entry) => entry.type)).toEqual([
      'comment.created',
      'task.updated',
      'task.created',
    ]);
    expect(result.nextCursor).toBeNull();
    expectInOrder(
      result.items.map((entry) => entry.createdAt),
      'desc',
    );
    for (const entry of result.items) {
      expect(entry).toEqual({
        id: expect.any(String),
        type: entry.type,
        actor: { userId: team.member.user.id, name: team.member.user.name },
        apiTokenId: null,
        projectId: task.projectId,
        taskId: task.id,
        data: expect.any(Object),
        createdAt: expect.stringMatching(ISO_INSTANT),
      });
    }
    const [commentEntry, updateEntry, createEntry] = result.items;
    expect(createEntry?.data.task).toEqual(task);
    expect(updateEntry?.data.task).toEqual(updated);
    expect(updateEntry?.data.changes).toEqual({ status: { from: 'todo', to: 'in_progress' } });
    expect(commentEntry?.data).toMatchObject({ commentId: commented.id });
  });

  it('the workspace log starts with the same entries, and pages by cursor to the same list', async () => {
    const input = { workspaceId: team.workspaceId };
    const whole = dataOf<Page<ActivityEntry>>(
      await query('activity.list', { ...input, limit: 100 }, { token: team.owner.token }),
    );
    expect(whole.items.slice(0, 3).map((entry) => entry.type)).toEqual([
      'comment.created',
      'task.updated',
      'task.created',
    ]);
    expect(whole.items.map((entry) => entry.type)).toContain('project.created');

    const walked: ActivityEntry[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Page<ActivityEntry> = dataOf<Page<ActivityEntry>>(
        await query(
          'activity.list',
          { ...input, limit: 2, ...(cursor === null ? {} : { cursor }) },
          { token: team.owner.token },
        ),
      );
      walked.push(...page.items);
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 100);

    expect(cursor).toBeNull();
    expect(walked).toEqual(whole.items);
  });

  it.each([
    'garbage',
    Buffer.from('act:0').toString('base64url'),
    Buffer.from('{}').toString('base64url'),
  ])('refuses the cursor %j with 400 and data.fieldErrors.cursor', async (cursor) => {
    expectFieldErrors(
      await query(
        'activity.list',
        { workspaceId: team.workspaceId, cursor },
        { token: team.owner.token },
      ),
      ['cursor'],
    );
  });

  it('answers an outsider 404, and shows them nothing of another workspace’s task', async () => {
    expectError(
      await query(
        'activity.list',
        { workspaceId: team.workspaceId },
        { token: team.outsider.token },
      ),
      404,
      'NOT_FOUND',
    );
    const theirs = dataOf<Page<ActivityEntry>>(
      await query(
        'activity.list',
        { workspaceId: team.outsiderWorkspaceId, taskId: task.id },
        { token: team.outsider.token },
      ),
    );
    expect(theirs.items).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------
// search.tasks
// ---------------------------------------------------------------------------------------

describe('search.tasks', () => {
  let team: Team;
  let audit: Task;
  let chore: Task;
  beforeAll(async () => {
    team = await makeTeam();
    const project = await createProject(team.admin.token, team.workspaceId, 'SRCH');
    audit = await createTask(team.member.token, project.id, {
      title: 'Quarterly frobnicator audit',
    });
    chore = await createTask(team.member.token, project.id, { title: 'Unrelated chore' });
    const theirs = await createProject(team.outsider.token, team.outsiderWorkspaceId, 'THEM');
    // Better matches than ours: if they leaked into the ranking, they would take our places.
    for (const title of ['Frobnicator', 'Frobnicator frobnicator', 'Frobnicators']) {
      await createTask(team.outsider.token, theirs.id, { title });
    }
  });

  const search = (q: string, token = team.member.token) =>
    query('search.tasks', { workspaceId: team.workspaceId, q }, { token });

  it('finds a task by the prefix of a title word, and only in the caller’s workspace', async () => {
    const result = dataOf<{ items: SearchHit[] }>(await search('frobn'));

    expect(result.items.map((hit) => hit.task)).toEqual([audit]);
    expect(result.items[0]?.rank).toEqual(expect.any(Number));
    expect(ids(result.items.map((hit) => hit.task))).not.toContain(chore.id);
    const top = dataOf<{ items: SearchHit[] }>(
      await query(
        'search.tasks',
        { workspaceId: team.workspaceId, q: 'frobnicator', limit: 1 },
        { token: team.member.token },
      ),
    );
    expect(top.items.map((hit) => hit.task.id)).toEqual([audit.id]);
  });

  it('finds a task by a word of a comment', async () => {
    await mutate(
      'comments.create',
      { taskId: chore.id, body: 'Needs a zanzibar permit' },
      { token: team.member.token },
    );

    const result = dataOf<{ items: SearchHit[] }>(await search('zanzibar'));

    expect(result.items.map((hit) => hit.task.id)).toEqual([chore.id]);
  });

  it.each([
    '"',
    '"frob',
    'frob*',
    '*',
    'NEAR(frob audit, 2)',
    'frob AND (',
    ')))',
    'title:frob',
    '-frob',
    '^frob',
    "'; DROP TABLE tasks; --",
    'frob OR',
    '\\',
    '\u0000',
    '🙂 ✓',
  ])('answers the hostile query %j with 200 and a list', async (q) => {
    const result = dataOf<{ items: SearchHit[] }>(await search(q));

    expect(Array.isArray(result.items)).toBe(true);
    for (const hit of result.items) expect(hit.task.workspaceId).toBe(team.workspaceId);
  });

  it('answers an outsider 404', async () => {
    expectError(await search('frobn', team.outsider.token), 404, 'NOT_FOUND');
  });
});

// ---------------------------------------------------------------------------------------
// stats.overview
// ---------------------------------------------------------------------------------------

describe('stats.overview', () => {
  it('counts by status and priority what was created, with 30 entries per day series', async () => {
    const team = await makeTeam();
    const project = await createProject(team.admin.token, team.workspaceId, 'STAT');
    const token = team.member.token;
    await createTask(token, project.id, { status: 'todo', priority: 0 });
    await createTask(token, project.id, {
      status: 'todo',
      priority: 4,
      assigneeId: team.member.user.id,
    });
    await createTask(token, project.id, { status: 'in_progress', priority: 4 });
    await createTask(token, project.id, {
      status: 'done',
      priority: 1,
      assigneeId: team.member.user.id,
    });
    await createTask(token, project.id, { status: 'canceled', priority: 2 });

    const before = new Date().toISOString().slice(0, 10);
    const stats = dataOf<StatsOverview>(
      await query(
        'stats.overview',
        { workspaceId: team.workspaceId },
        { token: team.colleague.token },
      ),
    );
    const after = new Date().toISOString().slice(0, 10);

    expect(stats.byStatus).toEqual({ backlog: 0, todo: 2, in_progress: 1, done: 1, canceled: 1 });
    expect(stats.byPriority).toEqual([
      { priority: 0, count: 1 },
      { priority: 1, count: 1 },
      { priority: 2, count: 1 },
      { priority: 3, count: 0 },
      { priority: 4, count: 2 },
    ]);
    expect(stats.openByAssignee).toEqual([
      { assigneeId: null, name: null, count: 2 },
      { assigneeId: team.member.user.id, name: team.member.user.name, count: 1 },
    ]);
    expect(stats.totals).toMatchObject({ tasks: 5, open: 3 });
    for (const series of [stats.createdPerDay, stats.completedPerDay]) {
      expect(series).toHaveLength(30);
      const days = series.map((entry) => entry.day);
      for (const day of days) expect(day).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      for (let i = 1; i < days.length; i += 1) {
        expect(Date.parse(days[i] ?? '') - Date.parse(days[i - 1] ?? '')).toBe(DAY_MS);
      }
      expect([before, after]).toContain(days.at(-1));
    }
    const sum = (series: DayCount[]) => series.reduce((total, entry) => total + entry.count, 0);
    expect(sum(stats.createdPerDay)).toBe(5);
    expect(sum(stats.completedPerDay)).toBe(1);
    expect(stats.createdPerDay.filter((entry) => entry.count === 0)).toHaveLength(29);
  });

  it('answers an outsider 404', async () => {
    const team = await makeTeam();

    expectError(
      await query(
        'stats.overview',
        { workspaceId: team.workspaceId },
        { token: team.outsider.token },
      ),
      404,
      'NOT_FOUND',
    );
  });
});

// ---------------------------------------------------------------------------------------
// tasks.onChange over server-sent events
// ---------------------------------------------------------------------------------------

describe('tasks.onChange over raw SSE', () => {
  async function liveTeam() {
    const team = await makeTeam();
    const project = await createProject(team.admin.token, team.workspaceId, 'LIVE');
    return { team, project };
  }

  it('streams another request’s create, update and delete as events with SSE ids', async () => {
    const { team, project } = await liveTeam();
    const stream = await subscribeTaskChanges(
      { workspaceId: team.workspaceId },
      { token: team.colleague.token },
    );

    const task = await createTask(team.member.token, project.id, { title: 'Live one' });
    const created = await nextChange(stream, 'the created event');
    const updated = dataOf<Task>(
      await mutate(
        'tasks.update',
        { taskId: task.id, expectedVersion: 1, patch: { status: 'done' } },
        { token: team.member.token },
      ),
    );
    const updateEvent = await nextChange(stream, 'the updated event');
    dataOf(await mutate('tasks.delete', { taskId: task.id }, { token: team.member.token }));
    const deleteEvent = await nextChange(stream, 'the deleted event');
    await stream.close();

    expect(created).toEqual({ id: created.id, type: 'created', task });
    expect(updateEvent).toEqual({ id: updateEvent.id, type: 'updated', task: updated });
    expect(deleteEvent).toEqual({ id: deleteEvent.id, type: 'deleted', task: updated });
    expect(new Set([created.id, updateEvent.id, deleteEvent.id]).size).toBe(3);
  });

  it('reconnecting with Last-Event-ID delivers exactly the 2 changes made in between', async () => {
    const { team, project } = await liveTeam();
    const first = await subscribeTaskChanges(
      { workspaceId: team.workspaceId },
      { token: team.colleague.token },
    );
    const seenTask = await createTask(team.member.token, project.id, { title: 'Seen' });
    const seenEvent = await nextChange(first, 'the first created event');
    expect(summary(seenEvent)).toEqual(['created', seenTask.id, 1]);
    await first.close();

    const edited = dataOf<Task>(
      await mutate(
        'tasks.update',
        { taskId: seenTask.id, expectedVersion: 1, patch: { title: 'Seen, edited' } },
        { token: team.member.token },
      ),
    );
    const missed = await createTask(team.member.token, project.id, { title: 'Missed' });

    const again = await subscribeTaskChanges(
      { workspaceId: team.workspaceId },
      { token: team.colleague.token, lastEventId: seenEvent.id },
    );
    const replayed = [await nextChange(again, 'replay 1'), await nextChange(again, 'replay 2')];
    // A change made now must be the very next event: nothing else was replayed.
    const sentinel = await createTask(team.member.token, project.id, { title: 'Sentinel' });
    const next = await nextChange(again, 'the sentinel');
    await again.close();

    expect(replayed.map(summary)).toEqual([
      ['updated', seenTask.id, 2],
      ['created', missed.id, 1],
    ]);
    expect(replayed[0]?.task).toEqual(edited);
    expect(replayed[1]?.task).toEqual(missed);
    expect(summary(next)).toEqual(['created', sentinel.id, 1]);
  });

  it('input.lastEventId replays the same way', async () => {
    const { team, project } = await liveTeam();
    const first = await subscribeTaskChanges(
      { workspaceId: team.workspaceId },
      { token: team.colleague.token },
    );
    const seenTask = await createTask(team.member.token, project.id);
    const seenEvent = await nextChange(first, 'the first created event');
    await first.close();
    const a = await createTask(team.member.token, project.id);
    dataOf(await mutate('tasks.delete', { taskId: seenTask.id }, { token: team.member.token }));

    const again = await subscribeTaskChanges(
      { workspaceId: team.workspaceId, lastEventId: seenEvent.id },
      { token: team.colleague.token },
    );
    const replayed = [await nextChange(again, 'replay 1'), await nextChange(again, 'replay 2')];
    const sentinel = await createTask(team.member.token, project.id);
    const next = await nextChange(again, 'the sentinel');
    await again.close();

    expect(replayed.map(summary)).toEqual([
      ['created', a.id, 1],
      ['deleted', seenTask.id, 1],
    ]);
    expect(summary(next)).toEqual(['created', sentinel.id, 1]);
  });

  it('a member removed mid-stream is cut off: the stream ends and carries no later change', async () => {
    const { team, project } = await liveTeam();
    const stream = await subscribeTaskChanges(
      { workspaceId: team.workspaceId },
      { token: team.colleague.token },
    );
    await createTask(team.member.token, project.id, { title: 'Before removal' });
    expect((await nextChange(stream, 'the created event')).type).toBe('created');

    dataOf(
      await mutate(
        'members.remove',
        { workspaceId: team.workspaceId, userId: team.colleague.user.id },
        { token: team.owner.token },
      ),
    );
    const after = await createTask(team.member.token, project.id, { title: 'After removal' });

    const rest: SseEvent[] = [];
    for (;;) {
      const event = await stream.next('the end of the stream').catch(() => null);
      if (event === null) break;
      rest.push(event);
    }
    await stream.ended();
    await stream.close();
    expect(rest.map((event) => event.data).join('\n')).not.toContain(after.id);
    expect(rest.map((event) => event.event)).not.toContain('message');
  });

  it('an anonymous subscribe is an HTTP 200 event stream carrying one UNAUTHORIZED error event, then ends', async () => {
    const { team } = await liveTeam();

    const stream = await openTaskChanges({ workspaceId: team.workspaceId });

    expect(stream.status).toBe(200);
    expect(stream.contentType).toMatch(/^text\/event-stream/);
    expect((await stream.next('the connected event')).event).toBe('connected');
    const error = await stream.next('the error event');
    expect(error.event).toBe('serialized-error');
    errorIn({ error: JSON.parse(error.data) }, 401, 'UNAUTHORIZED');
    await stream.ended();
    await stream.close();
  });

  it('an outsider’s subscribe carries a NOT_FOUND error event and hears nothing', async () => {
    const { team } = await liveTeam();

    const stream = await openTaskChanges(
      { workspaceId: team.workspaceId },
      { token: team.outsider.token },
    );

    expect(stream.status).toBe(200);
    expect((await stream.next('the connected event')).event).toBe('connected');
    const error = await stream.next('the error event');
    expect(error.event).toBe('serialized-error');
    errorIn({ error: JSON.parse(error.data) }, 404, 'NOT_FOUND');
    await stream.ended();
    await stream.close();
  });

  it('a Last-Event-ID this server never issued carries a BAD_REQUEST error event', async () => {
    const { team } = await liveTeam();

    const stream = await openTaskChanges(
      { workspaceId: team.workspaceId },
      { token: team.member.token, lastEventId: 'not-an-event-id' },
    );

    expect(stream.status).toBe(200);
    expect((await stream.next('the connected event')).event).toBe('connected');
    const error = await stream.next('the error event');
    expect(error.event).toBe('serialized-error');
    errorIn({ error: JSON.parse(error.data) }, 400, 'BAD_REQUEST');
    await stream.ended();
    await stream.close();
  });
});

// ---------------------------------------------------------------------------------------
// No server errors
// ---------------------------------------------------------------------------------------

describe('server errors', () => {
  it('no request in this file was answered with a 5xx', () => {
    expect(openStreams.size).toBe(0);
    expect(seen.length).toBeGreaterThan(200);
    expect(seen.filter(({ status }) => status >= 500)).toEqual([]);
  });
});
