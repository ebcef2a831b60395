// workspaces.export and workspaces.import over HTTP: a workspace exported from one server,
// imported into another (another database), and exported again is the same document with
// ids aside; who may export; what a bad document or an oversized upload leaves behind
// (nothing); an import's progress as it runs.
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RouterOutputs } from '@trellis/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { accountsOn } from './support/accounts.js';
import { type Wire, wireTo } from './support/http.js';
import {
  acceptedJob,
  downloadExport,
  type ImportJob,
  normaliseExport,
  uploadImport,
  waitForJob,
} from './support/imports.js';
import { startTestServer, type TestServer, verifyEmailByMail } from './support/server.js';
import { dataOf, PASSWORD, type Project, type Task } from './support/wire.js';

let source: TestServer;
let target: TestServer;
let capped: TestServer;
const fiveHundreds: string[] = [];
const record = (request: string, status: number) => {
  if (status >= 500) fiveHundreds.push(`${status} ${request}`);
};
const importDirs = { target: mkdtempSync(join(tmpdir(), 'trellis-import-')), capped: '' };
importDirs.capped = mkdtempSync(join(tmpdir(), 'trellis-import-'));

function wireOf(server: () => TestServer): Wire {
  return {
    ...wireTo(server, record),
    get server() {
      return server();
    },
    record,
  };
}
const a = wireOf(() => source);
const b = wireOf(() => target);
const c = wireOf(() => capped);

beforeAll(async () => {
  source = await startTestServer();
  target = await startTestServer({ importDir: importDirs.target });
  capped = await startTestServer({ importDir: importDirs.capped, importMaxBytes: 4096 });
});
afterAll(async () => {
  await Promise.all([source?.close(), target?.close(), capped?.close()]);
});
afterEach(() => {
  expect(fiveHundreds.splice(0), 'answers 5xx').toEqual([]);
});

const auth = (token: string) => ({ token });

/** A workspace with a bit of everything: sub-tasks (a child before its parent), labels, relations, comments, a deleted task, an archived project. */
async function buildWorkspace() {
  const { signUp, join, createWorkspace } = accountsOn(a);
  const owner = await signUp('owner');
  const workspaceId = (await createWorkspace(owner.token, 'Export me')).id;
  const admin = await join(owner, workspaceId, 'admin');
  const member = await join(owner, workspaceId, 'member');
  const project = async (key: string) =>
    dataOf<Project>(
      await a.mutate(
        'projects.create',
        { workspaceId, name: `Project ${key}`, key },
        auth(owner.token),
      ),
    );
  const eng = await project('ENG');
  const ops = await project('OPS');
  const old = await project('OLD');
  const task = async (
    projectId: string,
    fields: Record<string, unknown> = {},
    token = owner.token,
  ) =>
    dataOf<Task>(
      await a.mutate('tasks.create', { projectId, title: 'A task', ...fields }, auth(token)),
    );
  const first = await task(eng.id, {
    title: 'First',
    labels: ['backend', 'api'],
    assigneeId: member.user.id,
    priority: 2,
    dueAt: '2030-01-02T00:00:00.000Z',
  });
  const parent = await task(eng.id, { title: 'Parent' }, admin.token);
  const middle = await task(eng.id, { title: 'Middle', parentId: parent.id });
  // The first task becomes a child of a later one: in the file, before its parent.
  dataOf(
    await a.mutate(
      'tasks.update',
      {
        taskId: first.id,
        expectedVersion: first.version,
        patch: { parentId: middle.id, status: 'in_progress' },
      },
      auth(owner.token),
    ),
  );
  const gone = await task(eng.id, { title: 'Deleted later' });
  const other = await task(ops.id, { title: 'In ops' }, member.token);
  await task(old.id, { title: 'Old' });
  dataOf(await a.mutate('projects.archive', { projectId: old.id }, auth(owner.token)));
  for (const [taskId, type, otherTaskId] of [
    [first.id, 'blocks', other.id],
    [parent.id, 'relates', other.id],
  ] as const) {
    dataOf(await a.mutate('tasks.relations.add', { taskId, type, otherTaskId }, auth(owner.token)));
  }
  for (const body of ['One', 'Two']) {
    dataOf(await a.mutate('comments.create', { taskId: first.id, body }, auth(member.token)));
  }
  dataOf(await a.mutate('tasks.delete', { taskId: gone.id }, auth(owner.token)));
  return { owner, admin, member, workspaceId, eng };
}

describe('export, import into another database, export again', () => {
  let world: Awaited<ReturnType<typeof buildWorkspace>>;
  let exported: string;

  beforeAll(async () => {
    world = await buildWorkspace();
  });

  it('streams the export as an attachment, sections in order, with counts', async () => {
    const reply = await downloadExport(a, world.workspaceId, world.owner.token);
    expect(reply.status, reply.text.slice(0, 300)).toBe(200);
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    const slug = (reply.json as { workspace: { slug: string } }).workspace.slug;
    expect(reply.headers.get('content-disposition')).toBe(
      `attachment; filename="${slug}-export.json"`,
    );
    exported = reply.text;
    const document = reply.json as Record<string, unknown> & { counts: Record<string, number> };
    expect(Object.keys(document)).toEqual([
      'format',
      'version',
      'exportedAt',
      'counts',
      'workspace',
      'users',
      'members',
      'projects',
      'states',
      'tasks',
      'relations',
      'comments',
      'activity',
    ]);
    expect(document).toMatchObject({ format: 'trellis.workspace', version: 1 });
    for (const [section, count] of Object.entries(document.counts)) {
      expect(document[section], section).toHaveLength(count);
    }
    expect(document.counts).toMatchObject({
      users: 3,
      members: 3,
      projects: 3,
      tasks: 5,
      relations: 2,
      comments: 2,
    });
  });

  it('imports into a new workspace on another server, and exports the same document', async () => {
    // The importer has an account there already (same email): matched, and already the owner.
    dataOf(
      await b.mutate('auth.signUp', {
        email: world.owner.email,
        password: PASSWORD,
        name: world.owner.user.name,
      }),
    );
    const token = dataOf<{ session: { token: string } }>(
      await b.mutate('auth.signIn', { email: world.owner.email, password: PASSWORD }),
    ).session.token;
    const job = acceptedJob(await uploadImport(b, token, exported));
    expect(job).toMatchObject({ kind: 'workspace', status: 'queued', workspaceId: null });
    const done = await waitForJob(b, token, job.id);
    expect(done, done.error ?? '').toMatchObject({ status: 'succeeded', phase: 'succeeded' });
    const workspaceId = done.workspaceId as string;
    expect(done.report).toMatchObject({ workspaceId, createdUsers: 2 });

    const again = await downloadExport(b, workspaceId, token);
    expect(again.status).toBe(200);
    expect(normaliseExport(again.json)).toEqual(normaliseExport(JSON.parse(exported)));

    // Accounts made by the import: no password, address unverified.
    const made = await target.db
      .selectFrom('users')
      .select(['password_hash', 'email_verified_at'])
      .where('email', 'in', [world.admin.email, world.member.email])
      .execute();
    expect(made).toEqual([
      { password_hash: null, email_verified_at: null },
      { password_hash: null, email_verified_at: null },
    ]);
    // Numbers go on after the imported ones (the deleted task's number stays used).
    const project = (await target.db
      .selectFrom('projects')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('key', '=', 'ENG')
      .executeTakeFirstOrThrow()) as { id: string };
    const created = dataOf<Task>(
      await b.mutate(
        'tasks.create',
        { projectId: project.id, title: 'After the import' },
        auth(token),
      ),
    );
    expect(created.number).toBe(5);
    // The log goes on too: the new entry is numbered after the imported ones.
    const log = dataOf<RouterOutputs['activity']['list']>(
      await b.query('activity.list', { workspaceId, limit: 1 }, auth(token)),
    );
    expect(log.items[0]).toMatchObject({ type: 'task.created', taskId: created.id });
  });

  it('refuses the export to members (403), outsiders (404) and anonymous callers (401)', async () => {
    const outsider = await accountsOn(a).signUp('outsider');
    expect((await downloadExport(a, world.workspaceId, world.member.token)).status).toBe(403);
    expect((await downloadExport(a, world.workspaceId, outsider.token)).status).toBe(404);
    expect((await a.send(`/api/v1/workspaces/${world.workspaceId}/export`)).status).toBe(401);
  });
});

/** A minimal valid document with `tasks` tasks, for one user (`email`). */
function syntheticDocument(email: string, tasks: number, slug: string) {
  const states = ['backlog', 'unstarted', 'started', 'completed', 'canceled'].map(
    (category, i) => ({
      id: `s${i}`,
      projectId: 'p1',
      name: category,
      category,
      position: i + 1,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    }),
  );
  const rows = Array.from({ length: tasks }, (_, i) => ({
    id: `t${i}`,
    projectId: 'p1',
    number: i + 1,
    title: `Task ${i}`,
    description: '',
    status: 'todo',
    stateId: 's1',
    priority: 0,
    assigneeId: null,
    dueAt: null,
    labels: ['x'],
    parentId: i > 0 && i % 10 === 0 ? `t${i - 1}` : null,
    version: 1,
    createdBy: 'u1',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    completedAt: null,
  }));
  return {
    format: 'trellis.workspace',
    version: 1,
    counts: {
      users: 1,
      members: 0,
      projects: 1,
      states: 5,
      tasks,
      relations: 0,
      comments: 0,
      activity: 0,
    },
    workspace: { name: 'Synthetic', slug, createdAt: '2026-01-01T00:00:00.000Z' },
    users: [{ id: 'u1', email, name: 'Synth' }],
    members: [],
    projects: [
      {
        id: 'p1',
        key: 'SYN',
        name: 'Synthetic',
        archivedAt: null,
        nextTaskNumber: 1,
        createdAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-01T00:00:00.000Z',
      },
    ],
    states,
    tasks: rows,
    relations: [],
    comments: [],
    activity: [],
  };
}

describe('import jobs', () => {
  let token: string;
  let email: string;
  const slugCount = async (slug: string) =>
    (await target.db.selectFrom('workspaces').select('id').where('slug', '=', slug).execute())
      .length;

  beforeAll(async () => {
    const account = await accountsOn(b).signUp('importer');
    token = account.token;
    email = account.email;
  });

  it('shows progress while a job runs, then its report', async () => {
    const slug = `synthetic-${process.pid}`;
    const job = acceptedJob(
      await uploadImport(b, token, JSON.stringify(syntheticDocument(email, 20_000, slug))),
    );
    const seen: ImportJob[] = [];
    const done = await waitForJob(b, token, job.id, seen);
    expect(done, done.error ?? '').toMatchObject({
      status: 'succeeded',
      done: 20_007,
      total: 20_007,
    });
    const running = seen.filter((s) => s.status === 'running' && s.done > 0 && s.done < 20_007);
    expect(
      running.length,
      JSON.stringify(seen.map((s) => [s.status, s.phase, s.done])),
    ).toBeGreaterThan(0);
    expect(running.every((s) => s.total === 20_007)).toBe(true);
    expect(new Set(seen.map((s) => s.phase))).toContain('tasks');
    expect(done.report).toMatchObject({ imported: { tasks: 20_000, states: 5 } });
    const subtasks = await target.db
      .selectFrom('tasks')
      .select('id')
      .where('workspace_id', '=', done.workspaceId as string)
      .where('parent_id', 'is not', null)
      .execute();
    expect(subtasks).toHaveLength(1999);
  });

  it('fails a bad document with the JSON path, and leaves no workspace or account behind', async () => {
    const cases: [string, (doc: ReturnType<typeof syntheticDocument>) => unknown, RegExp][] = [
      ['format', (doc) => ({ ...doc, format: 'something.else' }), /^\$\.format: /],
      ['version', (doc) => ({ ...doc, version: 2 }), /^\$\.version: /],
      [
        'project',
        (doc) => ({ ...doc, tasks: [{ ...doc.tasks[0], projectId: 'nope' }] }),
        /^\$\.tasks\[0\]\.projectId: names no project/,
      ],
      [
        'field',
        (doc) => ({ ...doc, tasks: [doc.tasks[0], { ...doc.tasks[1], priority: 9 }] }),
        /^\$\.tasks\[1\]\.priority: /,
      ],
      [
        'parent',
        (doc) => ({ ...doc, tasks: [{ ...doc.tasks[0], parentId: 'nope' }] }),
        /^\$\.tasks\[0\]\.parentId: names no task/,
      ],
    ];
    for (const [name, spoil, message] of cases) {
      const slug = `bad-${name}-${process.pid}`;
      const doc = syntheticDocument(email, 3, slug);
      doc.users.push({ id: 'u2', email: `${slug}@example.com`, name: 'Made by the import' });
      const job = acceptedJob(await uploadImport(b, token, JSON.stringify(spoil(doc))));
      const done = await waitForJob(b, token, job.id);
      expect(done.status, name).toBe('failed');
      expect(done.error, name).toMatch(message);
      expect(done.workspaceId, name).toBeNull();
      expect(await slugCount(slug), name).toBe(0);
      const account = await target.db
        .selectFrom('users')
        .select('id')
        .where('email', '=', `${slug}@example.com`)
        .execute();
      expect(account, name).toEqual([]);
    }
    for (const [body, message] of [
      ['{"format": "trellis.workspace", "version": 1, "tasks": [', /ends too early/],
      ['not json', /^Not a JSON document/],
      ['[]', /^\$\.format: /],
    ] as const) {
      const done = await waitForJob(b, token, acceptedJob(await uploadImport(b, token, body)).id);
      expect(done, body).toMatchObject({ status: 'failed', workspaceId: null });
      expect(done.error, body).toMatch(message);
    }
    expect(readdirSync(importDirs.target)).toEqual([]);
  });

  it('brings in no existing account the importer shares no workspace with', async () => {
    // Someone with an account here, a stranger to the importer: importing a document that
    // names them would add them to a workspace they never joined and show the importer
    // their name. A colleague (a member of a workspace the importer is in) is brought in.
    const stranger = await accountsOn(b).signUp('not-a-colleague');
    const colleague = await accountsOn(b).signUp('colleague');
    const shared = dataOf<{ id: string }>(
      await b.mutate(
        'workspaces.create',
        { name: 'Shared', slug: `shared-${process.pid}` },
        { token },
      ),
    );
    const invite = dataOf<{ inviteToken: string }>(
      await b.mutate(
        'members.invite',
        { workspaceId: shared.id, email: colleague.email, role: 'member' },
        { token },
      ),
    );
    await verifyEmailByMail(target, colleague.email);
    dataOf(
      await b.mutate(
        'members.acceptInvite',
        { inviteToken: invite.inviteToken },
        {
          token: colleague.token,
        },
      ),
    );

    const refusedSlug = `stranger-${process.pid}`;
    const refused = syntheticDocument(email, 2, refusedSlug);
    refused.users.push({ id: 'u2', email: stranger.email, name: 'Whoever' });
    const failed = await waitForJob(
      b,
      token,
      acceptedJob(await uploadImport(b, token, JSON.stringify(refused))).id,
    );
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/^\$\.users\[1\]\.email: an account you share no workspace with/);
    expect(await slugCount(refusedSlug)).toBe(0);

    const welcomeSlug = `colleague-${process.pid}`;
    const welcome = syntheticDocument(email, 2, welcomeSlug);
    welcome.users.push({ id: 'u2', email: colleague.email, name: 'Whoever' });
    const done = await waitForJob(
      b,
      token,
      acceptedJob(await uploadImport(b, token, JSON.stringify(welcome))).id,
    );
    expect(done.status, done.error ?? '').toBe('succeeded');
  });

  it('answers 409 at once for a taken ?slug=, and a job to nobody but its owner', async () => {
    const slug = `taken-${process.pid}`;
    dataOf(await b.mutate('workspaces.create', { name: 'Taken', slug }, auth(token)));
    const reply = await uploadImport(b, token, '{}', `?slug=${slug}`);
    expect(reply.status).toBe(409);
    expect(reply.json).toMatchObject({
      error: { code: 'CONFLICT', fieldErrors: { slug: [expect.any(String)] } },
    });

    const badSlug = await uploadImport(b, token, '{}', '?slug=Not%20a%20slug');
    expect(badSlug.status).toBe(400);
    expect(badSlug.json).toMatchObject({ error: { fieldErrors: { slug: [expect.any(String)] } } });
    const job = acceptedJob(await uploadImport(b, token, 'not json'));
    await waitForJob(b, token, job.id);
    const stranger = await accountsOn(b).signUp('stranger');
    const input = encodeURIComponent(JSON.stringify({ jobId: job.id }));
    const asStranger = await b.send(`/trpc/imports.get?input=${input}`, {
      headers: { authorization: `Bearer ${stranger.token}` },
    });
    expect(asStranger.status).toBe(404);
    expect((await uploadImport(b, '', '{}', '', { authorization: '' })).status).toBe(401);
  });

  it('refuses an upload over IMPORT_MAX_BYTES with 413, declared or streamed, and keeps no file', async () => {
    const account = await accountsOn(c).signUp('big');
    const big = Buffer.alloc(64 * 1024, 0x20);
    const declared = await uploadImport(c, account.token, big);
    expect(declared.status).toBe(413);
    expect(declared.json).toMatchObject({
      error: { message: expect.stringMatching(/IMPORT_MAX_BYTES/) },
    });
    // No Content-Length: refused while streaming, once the cap is passed.
    const chunks = Array.from({ length: 16 }, () => Buffer.alloc(1024, 0x20));
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const chunk = chunks.shift();
        if (chunk) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const streamed = await c.send('/api/v1/workspaces/import', {
      method: 'POST',
      headers: { authorization: `Bearer ${account.token}`, 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(readdirSync(importDirs.capped)).toEqual([]);
  });
});
