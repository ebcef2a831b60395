import { newId } from '@trellis/db';
import { testDatabaseDialect } from '@trellis/db/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordActivity } from '../activity.js';
import { createContext } from '../context.js';
import { encodeCursor } from '../cursor.js';
import { fieldErrorsOf } from '../errors.js';
import type { TaskView } from '../queries/tasks.js';
import { createCaller } from '../root.js';
import {
  createHarness,
  type Harness,
  rejection,
  testConfig,
  testRequest,
} from '../test/harness.js';
import { insertProjectRow } from '../test/project-rows.js';
import { STREAM_START_HEADER, type TaskChangeEvent } from './tasks-on-change.js';

let harness: Harness;

beforeEach(async () => {
  harness = await createHarness();
});

afterEach(async () => {
  await harness.destroy();
});

type Api = Awaited<ReturnType<Harness['signUpUser']>>['api'];

/** A workspace owned by a fresh user, with one project (written directly: projects are
 * not what these tests are about). */
async function workspaceWithProject(slug = 'acme') {
  const owner = await harness.signUpUser('Olive');
  const workspace = await owner.api.workspaces.create({ name: 'Acme', slug });
  const projectId = newId();
  const now = new Date().toISOString();
  await insertProjectRow(harness.db, {
    id: projectId,
    workspace_id: workspace.id,
    key: 'ENG',
    name: 'Engineering',
    archived_at: null,
    created_at: now,
    updated_at: now,
  });
  const createTask = (title: string) => owner.api.tasks.create({ projectId, title });
  return { owner, workspaceId: workspace.id, projectId, createTask };
}

/**
 * Subscribes in-process. A caller hands over the procedure's own generator, so events
 * arrive as tracked envelopes (`[id, data]`), not yet unwrapped by a transport.
 */
async function subscribe(api: Api, input: { workspaceId: string; lastEventId?: string }) {
  const iterable: AsyncIterable<unknown> = await api.tasks.onChange(input);
  const iterator = iterable[Symbol.asyncIterator]();
  return {
    /** The next event; fails if the stream ended instead. */
    async next(): Promise<TaskChangeEvent> {
      const result = await iterator.next();
      if (result.done) throw new Error('the stream ended');
      const [id, event] = result.value as [string, TaskChangeEvent];
      expect(event.id).toBe(id);
      return event;
    },
    /** Resolves once the stream ends by itself; fails if it yields an event instead. */
    async ended(): Promise<void> {
      const result = await iterator.next();
      if (!result.done) throw new Error(`expected the end, got ${JSON.stringify(result.value)}`);
    },
    /** Stops listening (call it while the stream waits at an event, i.e. after `next`). */
    close: () => iterator.return?.(),
  };
}

/** Liveness bound: fails the test if `promise` has not settled in 30 s (a loaded machine is slow, not stuck). */
function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within 30 s`)), 30_000);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const summary = (event: TaskChangeEvent) => [event.type, event.task.title, event.task.version];

describe('tasks.onChange', () => {
  it('delivers the changes made after subscribing, and nothing from before', async () => {
    const { owner, workspaceId, createTask } = await workspaceWithProject();
    await createTask('Before subscribing');

    const stream = await subscribe(owner.api, { workspaceId });
    const task = await createTask('After subscribing');
    await owner.api.tasks.update({ taskId: task.id, expectedVersion: 1, patch: { priority: 3 } });
    await owner.api.tasks.delete({ taskId: task.id });

    const events = [await stream.next(), await stream.next(), await stream.next()];
    await stream.close();
    expect(events.map(summary)).toEqual([
      ['created', 'After subscribing', 1],
      ['updated', 'After subscribing', 2],
      ['deleted', 'After subscribing', 2],
    ]);
    expect(events[0]?.task).toEqual(task);
    expect(events[1]?.task.priority).toBe(3);
    expect(new Set(events.map((e) => e.id)).size).toBe(3);
  });

  it('replays every change after lastEventId, in order, then carries on live', async () => {
    const { owner, workspaceId, createTask } = await workspaceWithProject();
    const first = await subscribe(owner.api, { workspaceId });
    const kept = await createTask('Seen live');
    const seen = await first.next();
    await first.close();

    const missed = await createTask('Missed');
    await owner.api.tasks.update({ taskId: missed.id, expectedVersion: 1, patch: { title: 'M2' } });
    await owner.api.tasks.delete({ taskId: kept.id });

    const resumed = await subscribe(owner.api, { workspaceId, lastEventId: seen.id });
    const replayed = [await resumed.next(), await resumed.next(), await resumed.next()];
    await createTask('Live again');
    const live = await resumed.next();
    await resumed.close();

    expect(replayed.map(summary)).toEqual([
      ['created', 'Missed', 1],
      ['updated', 'M2', 2],
      ['deleted', 'Seen live', 1],
    ]);
    // Straight on to the new change: no event of the replay came twice.
    expect(summary(live)).toEqual(['created', 'Live again', 1]);
  });

  it('replays a long gap across read batches without losing or reordering entries', async () => {
    const { owner, workspaceId, projectId, createTask } = await workspaceWithProject();
    const stream = await subscribe(owner.api, { workspaceId });
    await createTask('Anchor');
    const anchor = await stream.next();
    await stream.close();

    // More entries than one read takes, with other kinds of entries between them.
    const task = (await createTask('Template')) satisfies TaskView;
    await harness.db.transaction().execute(async (trx) => {
      for (let i = 1; i <= 1200; i += 1) {
        const type = i % 3 === 0 ? 'comment.created' : 'task.updated';
        const data = { task: { ...task, version: i }, body: 'x' };
        await recordActivity(trx, { workspaceId, actor: null, type, projectId, data }, new Date());
      }
    });

    const resumed = await subscribe(owner.api, { workspaceId, lastEventId: anchor.id });
    const versions: number[] = [];
    expect(summary(await resumed.next())).toEqual(['created', 'Template', 1]);
    for (let i = 0; i < 800; i += 1) versions.push((await resumed.next()).task.version);
    await resumed.close();
    expect(versions).toEqual(
      Array.from({ length: 1200 }, (_, i) => i + 1).filter((version) => version % 3 !== 0),
    );
  });

  it("never delivers another workspace's changes", async () => {
    const mine = await workspaceWithProject('mine');
    const theirs = await workspaceWithProject('theirs');

    const stream = await subscribe(mine.owner.api, { workspaceId: mine.workspaceId });
    await theirs.createTask('Not for you');
    await mine.createTask('For you');
    const event = await stream.next();
    await stream.close();

    expect(summary(event)).toEqual(['created', 'For you', 1]);
    expect(event.task.workspaceId).toBe(mine.workspaceId);
  });

  it('answers NOT_FOUND to a non-member, and UNAUTHORIZED to nobody', async () => {
    const { workspaceId } = await workspaceWithProject();
    const stranger = await harness.signUpUser('Stranger');

    expect((await rejection(stranger.api.tasks.onChange({ workspaceId }))).code).toBe('NOT_FOUND');
    const anonymous = harness.caller().api;
    expect((await rejection(anonymous.tasks.onChange({ workspaceId }))).code).toBe('UNAUTHORIZED');
  });

  it('lets a viewer and a read-only API token subscribe', async () => {
    const { owner, workspaceId, createTask } = await workspaceWithProject();
    const viewer = await harness.signUpUser('Vera');
    await harness.addMember(workspaceId, viewer.user.id, 'viewer');
    const { token } = await owner.api.apiTokens.create({ workspaceId, name: 'CI', scope: 'read' });

    const byViewer = await subscribe(viewer.api, { workspaceId });
    const byToken = await subscribe(harness.as(token), { workspaceId });
    await createTask('Watched');

    expect(summary(await byViewer.next())).toEqual(['created', 'Watched', 1]);
    expect(summary(await byToken.next())).toEqual(['created', 'Watched', 1]);
    await byViewer.close();
    await byToken.close();
  });

  it("ends a member's stream when they are removed from the workspace", async () => {
    const { owner, workspaceId, createTask } = await workspaceWithProject();
    const member = await harness.signUpUser('Max');
    await harness.addMember(workspaceId, member.user.id, 'member');
    const stream = await subscribe(member.api, { workspaceId });
    await createTask('Still a member');
    expect(summary(await stream.next())).toEqual(['created', 'Still a member', 1]);

    await owner.api.members.remove({ workspaceId, userId: member.user.id });

    await within(stream.ended(), 'the end of the removed member’s stream');
  });

  it('ends the stream of a revoked API token and of a signed-out session', async () => {
    const { owner, workspaceId } = await workspaceWithProject();
    const grant = await owner.api.apiTokens.create({ workspaceId, name: 'CI', scope: 'read' });
    const viewer = await harness.signUpUser('Vera');
    await harness.addMember(workspaceId, viewer.user.id, 'viewer');
    const byToken = await subscribe(harness.as(grant.token), { workspaceId });
    const byViewer = await subscribe(viewer.api, { workspaceId });

    await owner.api.apiTokens.revoke({ workspaceId, tokenId: grant.id });
    await viewer.api.auth.signOut({});

    // Neither writes to the log, so no wake-up: the periodic re-check finds them.
    await within(
      Promise.all([byToken.ended(), byViewer.ended()]),
      'the end of the revoked token’s and the signed-out session’s streams',
    );
  });

  it('ends a waiting stream when its request goes away', async () => {
    const { owner, workspaceId } = await workspaceWithProject();
    const request = new AbortController();
    const ctx = createContext({
      db: harness.db,
      config: testConfig,
      req: testRequest({ authorization: `Bearer ${owner.token}` }),
      setCookie: () => {},
      setHeader: () => {},
    });
    const api = createCaller(ctx, { signal: request.signal });
    const iterable: AsyncIterable<unknown> = await api.tasks.onChange({ workspaceId });
    const waiting = iterable[Symbol.asyncIterator]().next();

    request.abort();

    expect(await within(waiting, 'the end of an abandoned stream')).toEqual({
      done: true,
      value: undefined,
    });
  });

  it('names where its stream starts, which resumes like an event id, also in an empty log', async () => {
    const owner = await harness.signUpUser('Olive');
    const { id: workspaceId } = await owner.api.workspaces.create({ name: 'Empty', slug: 'empty' });
    const { api, headers } = harness.caller({ authorization: `Bearer ${owner.token}` });
    await (await subscribe(api, { workspaceId })).close();
    const start = headers[STREAM_START_HEADER];
    expect(start).toBe(encodeCursor({ at: 0 }));

    const { id: projectId } = await owner.api.projects.create({
      workspaceId,
      name: 'P',
      key: 'PP',
    });
    await owner.api.tasks.create({ projectId, title: 'After the start' });
    const resumed = await subscribe(api, { workspaceId, lastEventId: start });
    expect(summary(await resumed.next())).toEqual(['created', 'After the start', 1]);
    await resumed.close();
    // A resumed stream starts where its id said.
    expect(headers[STREAM_START_HEADER]).toBe(start);
  });

  it('refuses an event id it never issued as BAD_REQUEST', async () => {
    const { owner, workspaceId } = await workspaceWithProject();
    const garbage = await rejection(
      owner.api.tasks.onChange({ workspaceId, lastEventId: 'not-an-event-id' }),
    );
    expect(garbage.code).toBe('BAD_REQUEST');
    expect(Object.keys(fieldErrorsOf(garbage.cause) ?? {})).toEqual(['lastEventId']);

    // Past the workspace's newest entry; and a pre-0008 id past the upgrade (this database
    // had no entries then, so it never issued one).
    for (const future of [encodeCursor({ at: 999_999 }), encodeCursor({ seq: 1 })]) {
      const unknown = await rejection(
        owner.api.tasks.onChange({ workspaceId, lastEventId: future }),
      );
      expect(unknown.code).toBe('BAD_REQUEST');
      expect(Object.keys(fieldErrorsOf(unknown.cause) ?? {})).toEqual(['lastEventId']);
    }
  });
});

// PostgreSQL takes seq values before commit, so transactions can commit out of seq order;
// recordActivity serializes each workspace's writers from taking the entry's number to the
// commit. On
// SQLite there is one writer at a time and a read waits for it: the order holds by
// construction (and these tests, which read while a write is open, would wait forever).
describe.runIf(testDatabaseDialect() === 'postgres')('tasks.onChange on PostgreSQL', () => {
  type Stream = Awaited<ReturnType<typeof subscribe>>;

  function recordTaskUpdate(
    db: Harness['db'],
    workspaceId: string,
    task: TaskView,
    version: number,
  ) {
    const data = { task: { ...task, version } };
    const entry = { workspaceId, actor: null, type: 'task.updated' as const, data };
    return recordActivity(db, { ...entry, projectId: task.projectId, taskId: task.id }, new Date());
  }

  /** A transaction that records `version` of `task` and stays open until `commit()`. */
  async function openWrite(workspaceId: string, task: TaskView, version: number) {
    let commit: () => void = () => {};
    const committing = new Promise<void>((resolve) => {
      commit = resolve;
    });
    let recorded: () => void = () => {};
    const inserted = new Promise<void>((resolve) => {
      recorded = resolve;
    });
    const done = harness.db.transaction().execute(async (trx) => {
      await recordTaskUpdate(trx, workspaceId, task, version);
      recorded();
      await committing;
    });
    await inserted;
    return { commit, done };
  }

  /** The task versions of the next `count` events, read from now on: the stream is busy
   * reading while the writers race, not parked at an event until they are done. */
  async function collect(stream: Stream, count: number): Promise<number[]> {
    const versions: number[] = [];
    while (versions.length < count) versions.push((await stream.next()).task.version);
    return versions;
  }

  it('delivers an entry whose transaction commits after a later writer started', async () => {
    const { owner, workspaceId, createTask } = await workspaceWithProject();
    const stream = await subscribe(owner.api, { workspaceId });
    const task = await createTask('Raced');
    expect(summary(await stream.next())).toEqual(['created', 'Raced', 1]);
    const received = collect(stream, 2);

    const first = await openWrite(workspaceId, task, 2);
    // Without the per-workspace lock this one would take a higher number and commit first,
    // and the stream, reading it, would move past the first one's number for good.
    const second = recordTaskUpdate(harness.db, workspaceId, task, 3);
    await new Promise((resolve) => setTimeout(resolve, 300));
    first.commit();
    await Promise.all([first.done, second]);

    expect(await within(received, 'both entries')).toEqual([2, 3]);
    await stream.close();
  });

  it("starts after the workspace's newest entry, not another workspace's", async () => {
    const mine = await workspaceWithProject('mine');
    const theirs = await workspaceWithProject('theirs');
    const task = await mine.createTask('Mine');
    const open = await openWrite(mine.workspaceId, task, 2);
    // Committed with a higher seq while mine is still open.
    await theirs.createTask('Theirs');

    const stream = await subscribe(mine.owner.api, { workspaceId: mine.workspaceId });
    open.commit();
    await open.done;

    const event = await within(stream.next(), 'the entry committed after subscribing');
    await stream.close();
    expect(summary(event)).toEqual(['updated', 'Mine', 2]);
  });

  it('gives a subscriber every entry of 40 concurrent writers once, in seq order', async () => {
    const { owner, workspaceId, createTask } = await workspaceWithProject();
    const stream = await subscribe(owner.api, { workspaceId });
    const task = await createTask('Busy');
    expect(summary(await stream.next())).toEqual(['created', 'Busy', 1]);
    const received = collect(stream, 41);

    // Each writer dawdles between its insert and its commit, so that commits interleave.
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        harness.db.transaction().execute(async (trx) => {
          await recordTaskUpdate(trx, workspaceId, task, i + 2);
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 20));
        }),
      ),
    );
    await recordTaskUpdate(harness.db, workspaceId, task, 1000);

    const versions = await within(received, 'every entry');
    await stream.close();
    const logged = await harness.db
      .selectFrom('activity')
      .select(['data', 'workspace_seq'])
      .where('workspace_id', '=', workspaceId)
      .where('type', '=', 'task.updated')
      .orderBy('seq')
      .execute();
    const inSeqOrder = logged.map(
      (row) => (JSON.parse(row.data) as { task: TaskView }).task.version,
    );
    expect(versions).toEqual(inSeqOrder);
    // The workspace's numbers follow the same order, with no gaps (1 was the create).
    expect(logged.map((row) => row.workspace_seq)).toEqual(
      Array.from({ length: 41 }, (_, i) => i + 2),
    );
    // Every writer's entry, once; the marker written last comes last.
    expect([...versions].sort((x, y) => x - y)).toEqual([
      ...Array.from({ length: 40 }, (_, i) => i + 2),
      1000,
    ]);
  });
});
