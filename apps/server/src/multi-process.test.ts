import { createClient, isTrellisError, type TrellisClient } from '@trellis/client';
import { createTestDatabase, type TestDatabase } from '@trellis/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subscribe } from '../test/support/subscription.js';
import { type MainProcess, startMainProcess } from './test/main-process.js';

// Two server processes (main.ts, as an operator runs it) on one database, the dialect
// under test: nothing a request needs may live in one process's memory. Sessions, rate
// limits, idempotency keys and task numbers come from the database; live updates reach a
// subscriber on A when the change is made on B (PostgreSQL: LISTEN/NOTIFY; SQLite: the
// streams' re-read of the activity log).

const PASSWORD = 'correct horse battery staple';

let database: TestDatabase;
let processes: MainProcess[] = [];
let a: string;
let b: string;

beforeAll(async () => {
  database = await createTestDatabase();
  // Migrated already; the default rate limits, which are what is being shared.
  const env = { DATABASE_URL: database.url, MIGRATE_ON_START: 'false' };
  const [first, second] = [startMainProcess(env), startMainProcess(env)];
  processes = [first, second];
  [a, b] = await Promise.all([first.listening, second.listening]);
});

afterAll(async () => {
  const codes = await Promise.all(processes.map((process) => process.stop()));
  await database?.destroy();
  // A clean exit: each closed its connections (and, on PostgreSQL, its LISTEN).
  expect(codes).toEqual([0, 0]);
});

let users = 0;
/** A new user signed up on `url`; returns their email and a client holding the session. */
async function signUp(url: string) {
  users += 1;
  const email = `mp-${users}@example.com`;
  const { user, session } = await createClient({ url }).auth.signUp.mutate({
    email,
    password: PASSWORD,
    name: `User ${users}`,
  });
  return { user, email, token: session.token, client: createClient({ url, token: session.token }) };
}

/** A workspace with project key `key`, owned by the client's user. */
async function workspaceWithProject(client: TrellisClient, key: string) {
  const workspace = await client.workspaces.create.mutate({ name: key, slug: key.toLowerCase() });
  const project = await client.projects.create.mutate({
    workspaceId: workspace.id,
    name: key,
    key,
  });
  return { workspaceId: workspace.id, projectId: project.id };
}

/** The TRPC error code a call fails with (or 'ok'). */
function outcome(call: Promise<unknown>): Promise<string> {
  return call.then(
    () => 'ok',
    (error: unknown) =>
      isTrellisError(error) ? String(error.code) : `unexpected: ${String(error)}`,
  );
}

describe('two server processes on one database', () => {
  it('serve from two different processes', async () => {
    expect(a).not.toBe(b);
    const pids = processes.map((process) => process.child.pid);
    expect(new Set(pids).size).toBe(2);
  });

  it('a session started on A works on B, and signing out on B ends it on A', async () => {
    const { email } = await signUp(a);
    const { session, user } = await createClient({ url: a }).auth.signIn.mutate({
      email,
      password: PASSWORD,
    });
    const onA = createClient({ url: a, token: session.token });
    const onB = createClient({ url: b, token: session.token });

    expect((await onB.auth.me.query()).user).toMatchObject(user);
    await onB.auth.signOut.mutate({});

    expect(await outcome(onA.auth.me.query())).toBe('UNAUTHORIZED');
  });

  it('a subscriber on A receives the changes made on B, each once, in order', async () => {
    const owner = await signUp(a);
    const { workspaceId, projectId } = await workspaceWithProject(owner.client, 'LIVE');
    const live = subscribe(owner.client, { workspaceId });
    await live.started;
    const onB = createClient({ url: b, token: owner.token });

    const task = await onB.tasks.create.mutate({ projectId, title: 'Made on B' });
    await onB.tasks.update.mutate({
      taskId: task.id,
      expectedVersion: 1,
      patch: { status: 'in_progress' },
    });
    const second = await onB.tasks.create.mutate({ projectId, title: 'Also on B' });
    const events = [await live.next(), await live.next(), await live.next()];

    expect(events.map(({ data }) => [data.type, data.task.key, data.task.version])).toEqual([
      ['created', task.key, 1],
      ['updated', task.key, 2],
      ['created', second.key, 1],
    ]);
    // Nothing twice: another poll and notification later, still only those three.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(live.pending()).toBe(0);
    live.unsubscribe();
  });

  it('concurrent creates on A and B give every task its own number', async () => {
    const owner = await signUp(a);
    const { projectId } = await workspaceWithProject(owner.client, 'RACE');
    const clients = [owner.client, createClient({ url: b, token: owner.token })];

    const created = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        clients[i % 2]?.tasks.create.mutate({ projectId, title: `Task ${i}` }),
      ),
    );

    const numbers = created.map((task) => task?.number).sort((x = 0, y = 0) => x - y);
    expect(numbers).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('concurrent comments on A and B all succeed (transactions that read before they write)', async () => {
    const owner = await signUp(a);
    const { projectId } = await workspaceWithProject(owner.client, 'TALK');
    const task = await owner.client.tasks.create.mutate({ projectId, title: 'Discussed' });
    const clients = [owner.client, createClient({ url: b, token: owner.token })];

    // comments.create reads the task, then writes: on SQLite a transaction begun deferred
    // failed with "database is locked" (500) when the other process committed in between.
    const outcomes = await Promise.all(
      Array.from({ length: 150 }, (_, i) =>
        outcome(
          clients[i % 2]?.comments.create.mutate({ taskId: task.id, body: `Comment ${i}` }) ??
            Promise.reject(new Error('no client')),
        ),
      ),
    );

    expect(outcomes).toEqual(Array.from({ length: 150 }, () => 'ok'));
    const stored = await database.db
      .selectFrom('comments')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('task_id', '=', task.id)
      .executeTakeFirstOrThrow();
    expect(Number(stored.n)).toBe(150);
  });

  it('stats read on A right after writes on B are never stale (each process caches them)', async () => {
    const owner = await signUp(a);
    const { workspaceId, projectId } = await workspaceWithProject(owner.client, 'STAT');
    const onB = createClient({ url: b, token: owner.token });
    let stale = 0;

    for (let round = 1; round <= 15; round += 1) {
      // Both processes hold the current answer in their caches before the write.
      await owner.client.stats.overview.query({ workspaceId });
      await onB.stats.overview.query({ workspaceId });
      const writer = round % 2 === 0 ? owner.client : onB;
      const reader = round % 2 === 0 ? onB : owner.client;
      await writer.tasks.create.mutate({ projectId, title: `Counted ${round}` });
      const seen = await reader.stats.overview.query({ workspaceId });
      if (seen.totals.tasks !== round) stale += 1;
    }

    expect(stale).toBe(0);
  });

  it('concurrent updates of one version on A and B: one wins, the others get CONFLICT', async () => {
    const owner = await signUp(a);
    const { projectId } = await workspaceWithProject(owner.client, 'OCC');
    const clients = [owner.client, createClient({ url: b, token: owner.token })];
    const task = await owner.client.tasks.create.mutate({ projectId, title: 'Contended' });

    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        outcome(
          (clients[i % 2] as TrellisClient).tasks.update.mutate({
            taskId: task.id,
            expectedVersion: 1,
            patch: { title: `Writer ${i}` },
          }),
        ),
      ),
    );

    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'CONFLICT')).toHaveLength(9);
    const after = await clients[1]?.tasks.get.query({ taskId: task.id });
    expect(after?.version).toBe(2);
    const winner = outcomes.indexOf('ok');
    expect(after?.title).toBe(`Writer ${winner}`);
  });

  it('an Idempotency-Key used on A is answered from the first answer on B', async () => {
    const owner = await signUp(a);
    const { projectId } = await workspaceWithProject(owner.client, 'ONCE');
    const post = (url: string) =>
      fetch(`${url}/trpc/tasks.create`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${owner.token}`,
          'idempotency-key': 'multi-process-1',
        },
        body: JSON.stringify({ projectId, title: 'Exactly once' }),
      });

    const first = await post(a);
    const replay = await post(b);

    expect([first.status, replay.status]).toEqual([200, 200]);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await replay.text()).toBe(await first.text());
    const tasks = await database.db
      .selectFrom('tasks')
      .select('id')
      .where('project_id', '=', projectId)
      .execute();
    expect(tasks).toHaveLength(1);
  });

  it("counts sign-in attempts on A and B against one account's limit", async () => {
    const { email } = await signUp(a);
    const signIn = (url: string, password: string) =>
      outcome(createClient({ url }).auth.signIn.mutate({ email, password }));

    // The default limit: 10 failures per account and address per 10 minutes, 5 spent on
    // each process.
    const wrong: string[] = [];
    for (let i = 0; i < 10; i += 1)
      wrong.push(await signIn(i % 2 === 0 ? a : b, 'wrong password!'));

    expect(wrong).toEqual(Array(10).fill('UNAUTHORIZED'));
    // Even the right password: the account's window is spent, whichever process counts.
    expect(await signIn(a, PASSWORD)).toBe('TOO_MANY_REQUESTS');
    expect(await signIn(b, PASSWORD)).toBe('TOO_MANY_REQUESTS');
  });
});
