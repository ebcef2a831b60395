import { isoNow } from '@trellis/db';
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { createContext, type RequestInfo } from './context.js';
import {
  canonicalJson,
  deleteExpiredIdempotencyKeys,
  IDEMPOTENCY_LEASE_MS,
} from './idempotency.js';
import { createCaller } from './root.js';
import {
  type Harness,
  harnessForEachTest,
  rejection,
  type TestClock,
  testConfig,
  testRequest,
} from './test/harness.js';
import { createCallerFactory, router, workspaceInput, workspaceProcedure } from './trpc.js';

const START = new Date('2030-06-01T09:00:00.000Z');
/** The promise, spelled out rather than imported so that a changed TTL is caught. */
const DAY_MS = 24 * 60 * 60 * 1000;

let harness: Harness;
let clock: TestClock;

harnessForEachTest(START, (fresh, freshClock) => {
  harness = fresh;
  clock = freshClock;
});

/** A workspace with its owner, a member and project ENG. */
async function team() {
  const owner = await harness.signUpUser('Olive Owner');
  const member = await harness.signUpUser('Mia Member');
  const workspace = await owner.api.workspaces.create({ name: 'Acme', slug: 'acme' });
  const workspaceId = workspace.id;
  await harness.addMember(workspaceId, member.user.id, 'member');
  const project = await owner.api.projects.create({ workspaceId, name: 'Engineering', key: 'ENG' });
  return { owner, member, workspaceId, projectId: project.id };
}

/** A caller sending `Authorization: Bearer <token>` and, when given, an Idempotency-Key. */
function keyed(token: string, idempotencyKey?: string, req: Partial<RequestInfo> = {}) {
  return harness.caller({ authorization: `Bearer ${token}`, idempotencyKey, ...req });
}

/** One request's context: calls made with it share it, as the calls of a batch do. */
function contextFor(token: string, idempotencyKey: string) {
  return createContext({
    db: harness.db,
    config: { ...testConfig, clock: clock.now },
    req: testRequest({ authorization: `Bearer ${token}`, idempotencyKey }),
    setCookie: () => undefined,
    setHeader: () => undefined,
  });
}

function taskTitles() {
  return harness.db
    .selectFrom('tasks')
    .select('title')
    .orderBy('created_at')
    .orderBy('number')
    .execute()
    .then((rows) => rows.map((row) => row.title));
}

function keyRows() {
  return harness.db.selectFrom('idempotency_keys').selectAll().execute();
}

describe('a mutation retried with the same Idempotency-Key', () => {
  it('runs once and answers the retry with the first answer, marked as replayed', async () => {
    const { member, projectId } = await team();
    const first = keyed(member.token, 'create-1');
    const task = await first.api.tasks.create({ projectId, title: 'Ship it' });
    expect(first.headers['idempotent-replayed']).toBeUndefined();

    clock.advance(60_000);
    const retry = keyed(member.token, 'create-1');
    const replayed = await retry.api.tasks.create({ projectId, title: 'Ship it' });

    expect(replayed).toEqual(task);
    expect(replayed.id).toBe(task.id);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(await taskTitles()).toEqual(['Ship it']);
  });

  it('keeps the answer with the procedure, a hash of the input and a 24-hour expiry', async () => {
    const { member, projectId } = await team();
    const task = await keyed(member.token, 'create-1').api.tasks.create({ projectId, title: 'A' });
    expect(await keyRows()).toEqual([
      {
        scope: `user:${member.user.id}`,
        key: 'create-1',
        path: 'tasks.create',
        input_hash: expect.stringMatching(/^[0-9a-f]{64}$/),
        status: 'done',
        result: JSON.stringify(task),
        created_at: isoNow(START),
        expires_at: isoNow(new Date(START.getTime() + DAY_MS)),
      },
    ]);
  });

  it('counts the same input sent with its keys in another order as the same request', async () => {
    const { member, projectId } = await team();
    const task = await keyed(member.token, 'k').api.tasks.create({ projectId, title: 'A' });
    const again = await keyed(member.token, 'k').api.tasks.create({ title: 'A', projectId });
    expect(again.id).toBe(task.id);
    expect(await taskTitles()).toEqual(['A']);
  });

  it('does not replay for a call without the key, which creates as usual', async () => {
    const { member, projectId } = await team();
    await keyed(member.token, 'k').api.tasks.create({ projectId, title: 'A' });
    await member.api.tasks.create({ projectId, title: 'A' });
    expect(await taskTitles()).toEqual(['A', 'A']);
  });
});

describe('an Idempotency-Key reused for another request', () => {
  it('is refused with UNPROCESSABLE_CONTENT for other input, and nothing is created', async () => {
    const { member, projectId } = await team();
    await keyed(member.token, 'k').api.tasks.create({ projectId, title: 'A' });
    const error = await rejection(
      keyed(member.token, 'k').api.tasks.create({ projectId, title: 'B' }),
    );
    expect(error.code).toBe('UNPROCESSABLE_CONTENT');
    expect(error.message).toBe('Idempotency-Key was already used for a different request');
    expect(await taskTitles()).toEqual(['A']);
  });

  it('is refused for another procedure, even with the same input', async () => {
    const { member, workspaceId } = await team();
    const ran: string[] = [];
    const twin = (name: string) =>
      workspaceProcedure('member')
        .input(workspaceInput.strict())
        .mutation(() => {
          ran.push(name);
          return name;
        });
    // A fresh context per call: two requests, as two retries would be.
    const api = createCallerFactory(router({ a: twin('a'), b: twin('b') }))(() =>
      contextFor(member.token, 'k'),
    );
    expect(await api.a({ workspaceId })).toBe('a');
    const error = await rejection(api.b({ workspaceId }));
    expect(error.code).toBe('UNPROCESSABLE_CONTENT');
    expect(ran).toEqual(['a']);
  });
});

describe('Idempotency-Key scopes', () => {
  it('keeps each user’s keys apart: the same key from two users creates twice', async () => {
    const { owner, member, projectId } = await team();
    const a = await keyed(owner.token, 'shared').api.tasks.create({ projectId, title: 'A' });
    const b = await keyed(member.token, 'shared').api.tasks.create({ projectId, title: 'A' });
    expect(b.id).not.toBe(a.id);
    expect(await taskTitles()).toEqual(['A', 'A']);
  });

  it('shares a user’s keys between their sessions (per user, not per device)', async () => {
    const { member, projectId } = await team();
    const task = await keyed(member.token, 'k').api.tasks.create({ projectId, title: 'A' });
    const { session } = await harness
      .caller()
      .api.auth.signIn({ email: member.email, password: member.password });
    const again = await keyed(session.token, 'k').api.tasks.create({ projectId, title: 'A' });
    expect(again.id).toBe(task.id);
    expect(await taskTitles()).toEqual(['A']);
  });

  it('gives each API token its own keys, apart from its creator’s', async () => {
    const { owner, workspaceId, projectId } = await team();
    const bot = await owner.api.apiTokens.create({ workspaceId, name: 'Bot', scope: 'write' });
    const other = await owner.api.apiTokens.create({ workspaceId, name: 'Bot 2', scope: 'write' });

    const task = await keyed(bot.token, 'k').api.tasks.create({ projectId, title: 'A' });
    const retry = keyed(bot.token, 'k');
    expect((await retry.api.tasks.create({ projectId, title: 'A' })).id).toBe(task.id);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(await taskTitles()).toEqual(['A']);

    await keyed(other.token, 'k').api.tasks.create({ projectId, title: 'A' });
    await keyed(owner.token, 'k').api.tasks.create({ projectId, title: 'A' });
    expect(await taskTitles()).toEqual(['A', 'A', 'A']);
    expect((await keyRows()).map((row) => row.scope).sort()).toEqual(
      [`token:${bot.id}`, `token:${other.id}`, `user:${owner.user.id}`].sort(),
    );
  });

  it('checks access again before replaying: a removed member gets NOT_FOUND', async () => {
    const { owner, member, workspaceId, projectId } = await team();
    await keyed(member.token, 'k').api.tasks.create({ projectId, title: 'A' });
    await owner.api.members.remove({ workspaceId, userId: member.user.id });
    const error = await rejection(
      keyed(member.token, 'k').api.tasks.create({ projectId, title: 'A' }),
    );
    expect(error.code).toBe('NOT_FOUND');
  });
});

describe('Idempotency-Key expiry', () => {
  it('replays for 24 hours, then the key is free and the request runs again', async () => {
    const { member, projectId } = await team();
    const task = await keyed(member.token, 'k').api.tasks.create({ projectId, title: 'A' });

    clock.advance(DAY_MS - 1);
    const late = await keyed(member.token, 'k').api.tasks.create({ projectId, title: 'A' });
    expect(late.id).toBe(task.id);

    clock.advance(1);
    const fresh = await keyed(member.token, 'k').api.tasks.create({ projectId, title: 'A' });
    expect(fresh.id).not.toBe(task.id);
    expect(await taskTitles()).toEqual(['A', 'A']);
    // The key now remembers the new answer.
    const again = await keyed(member.token, 'k').api.tasks.create({ projectId, title: 'A' });
    expect(again.id).toBe(fresh.id);
  });

  it('lets the sweep delete expired keys only', async () => {
    const { member, projectId } = await team();
    await keyed(member.token, 'old').api.tasks.create({ projectId, title: 'A' });
    clock.advance(60_000);
    await keyed(member.token, 'new').api.tasks.create({ projectId, title: 'B' });

    expect(await deleteExpiredIdempotencyKeys(harness.db, new Date(clock.now().getTime()))).toBe(0);
    const dayLater = new Date(START.getTime() + DAY_MS);
    expect(await deleteExpiredIdempotencyKeys(harness.db, dayLater)).toBe(1);
    expect((await keyRows()).map((row) => row.key)).toEqual(['new']);
  });
});

describe('a mutation that fails with an Idempotency-Key', () => {
  it('keeps nothing: the same request runs (and fails) again, a corrected one succeeds', async () => {
    const { member, projectId } = await team();
    const bad = { projectId, title: 'A', assigneeId: 'nobody-here-000000000000' };

    const first = await rejection(keyed(member.token, 'k').api.tasks.create(bad));
    expect(first.code).toBe('BAD_REQUEST');
    expect(await keyRows()).toEqual([]);

    // A stored failure would answer without running; this runs and fails the same way.
    const second = await rejection(keyed(member.token, 'k').api.tasks.create(bad));
    expect(second.code).toBe('BAD_REQUEST');
    expect(second.message).toBe(first.message);

    const fixed = { projectId, title: 'A', assigneeId: member.user.id };
    const task = await keyed(member.token, 'k').api.tasks.create(fixed);
    expect((await keyed(member.token, 'k').api.tasks.create(fixed)).id).toBe(task.id);
    expect(await taskTitles()).toEqual(['A']);
  });

  it('is not claimed when the access check refuses it (read-only token)', async () => {
    const { owner, workspaceId, projectId } = await team();
    const reader = await owner.api.apiTokens.create({ workspaceId, name: 'R', scope: 'read' });
    const error = await rejection(
      keyed(reader.token, 'k').api.tasks.create({ projectId, title: 'A' }),
    );
    expect(error.code).toBe('FORBIDDEN');
    expect(await keyRows()).toEqual([]);
  });
});

/** A mutation that waits until the test lets it finish, to hold a key in flight. */
function heldRouter() {
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let runs = 0;
  const probe = router({
    hold: workspaceProcedure('member')
      .input(workspaceInput.strict())
      .mutation(async () => {
        runs += 1;
        await held;
        return { run: runs };
      }),
  });
  const caller = (token: string, idempotencyKey: string) =>
    createCallerFactory(probe)(contextFor(token, idempotencyKey));
  return { caller, release, runs: () => runs };
}

describe('an Idempotency-Key whose request is still running', () => {
  it('answers CONFLICT to a second request meanwhile, and replays once it is done', async () => {
    const { member, workspaceId } = await team();
    const probe = heldRouter();
    const first = probe.caller(member.token, 'k').hold({ workspaceId });
    await expect.poll(probe.runs).toBe(1);

    // While it runs, the claim holds the key only for its lease.
    expect(await keyRows()).toMatchObject([
      {
        status: 'pending',
        result: null,
        expires_at: isoNow(new Date(START.getTime() + IDEMPOTENCY_LEASE_MS)),
      },
    ]);
    const error = await rejection(probe.caller(member.token, 'k').hold({ workspaceId }));
    expect(error.code).toBe('CONFLICT');
    expect(error.message).toBe('A request with this Idempotency-Key is still in progress');

    probe.release();
    expect(await first).toEqual({ run: 1 });
    expect(await probe.caller(member.token, 'k').hold({ workspaceId })).toEqual({ run: 1 });
    expect(probe.runs()).toBe(1);
  });

  it('frees a claim left pending past its lease (its request died), so the retry runs', async () => {
    const { member, projectId } = await team();
    const input = { projectId, title: 'A' };
    // What a request that died mid-flight leaves behind, with the same path and input.
    await keyed(member.token, 'k').api.tasks.create(input);
    await harness.db
      .updateTable('idempotency_keys')
      .set({
        status: 'pending',
        result: null,
        expires_at: isoNow(new Date(START.getTime() + IDEMPOTENCY_LEASE_MS)),
      })
      .execute();

    clock.advance(IDEMPOTENCY_LEASE_MS - 1);
    const error = await rejection(keyed(member.token, 'k').api.tasks.create(input));
    expect(error.code).toBe('CONFLICT');

    clock.advance(1);
    await keyed(member.token, 'k').api.tasks.create(input);
    expect(await taskTitles()).toEqual(['A', 'A']);
    expect((await keyRows()).map((row) => row.status)).toEqual(['done']);
  });
});

describe('where Idempotency-Key does not apply', () => {
  it.each([
    ['empty', ''],
    ['longer than 255 characters', 'k'.repeat(256)],
    ['not ASCII', 'clé'],
    ['a control character', 'a\tb'],
  ])('refuses a key that is %s with BAD_REQUEST naming the header', async (_, key) => {
    const { member, projectId } = await team();
    const error = await rejection(
      keyed(member.token, key).api.tasks.create({ projectId, title: 'A' }),
    );
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toMatch(/^Idempotency-Key header: /);
    expect(await taskTitles()).toEqual([]);
  });

  it('accepts a 255-character key', async () => {
    const { member, projectId } = await team();
    const key = `${'k'.repeat(254)}~`;
    await keyed(member.token, key).api.tasks.create({ projectId, title: 'A' });
    expect((await keyRows()).map((row) => row.key)).toEqual([key]);
  });

  it('is refused by mutations whose answer holds a secret that is not stored', async () => {
    const { owner, workspaceId } = await team();
    const tokens = keyed(owner.token, 'k').api.apiTokens;
    const error = await rejection(tokens.create({ workspaceId, name: 'Bot', scope: 'read' }));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain('apiTokens.create');
    const invites = keyed(owner.token, 'k').api.members;
    const refused = await rejection(
      invites.invite({ workspaceId, email: 'x@example.com', role: 'member' }),
    );
    expect(refused.code).toBe('BAD_REQUEST');
    expect(await harness.db.selectFrom('api_tokens').select('id').execute()).toEqual([]);
    expect(await harness.db.selectFrom('invites').select('id').execute()).toEqual([]);
    // A webhook's signing secret is shown once too: a replay would show it again.
    const hooks = keyed(owner.token, 'k').api.webhooks;
    const hookError = await rejection(
      hooks.create({ workspaceId, url: 'http://127.0.0.1:9/hook' }),
    );
    expect(hookError.message).toContain('webhooks.create');
    expect(await harness.db.selectFrom('webhooks').select('id').execute()).toEqual([]);
    const { id: webhookId } = await owner.api.webhooks.create({
      workspaceId,
      url: 'http://127.0.0.1:9/hook',
    });
    const rotated = await rejection(hooks.rotateSecret({ webhookId }));
    expect(rotated.message).toContain('webhooks.rotateSecret');
  });

  it('is ignored by queries', async () => {
    const { member, projectId } = await team();
    const task = await member.api.tasks.create({ projectId, title: 'A' });
    const read = await keyed(member.token, 'k').api.tasks.get({ taskId: task.id });
    expect(read.id).toBe(task.id);
    expect(await keyRows()).toEqual([]);
  });

  it('is ignored by the unauthenticated mutations: each sign-in gets its own session', async () => {
    const { member } = await team();
    const signIn = () =>
      harness
        .caller({ idempotencyKey: 'k' })
        .api.auth.signIn({ email: member.email, password: member.password });
    const first = await signIn();
    const second = await signIn();
    expect(second.session.token).not.toBe(first.session.token);
    expect(await keyRows()).toEqual([]);
  });

  it('names one call: a second keyed mutation in the same request is refused', async () => {
    const { member, projectId } = await team();
    // One context for two calls, as a batch gets over HTTP.
    const api = createCaller(contextFor(member.token, 'k'));
    // Whichever of the two claims the key first is the one it names (on a busy database the
    // second call can get there first): exactly one is made, the other refused.
    const outcomes = await Promise.allSettled([
      api.tasks.create({ projectId, title: 'A' }),
      api.tasks.create({ projectId, title: 'B' }),
    ]);
    const made = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value.title] : []));
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
    expect(made).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toBeInstanceOf(TRPCError);
    expect((refused[0] as TRPCError).code).toBe('BAD_REQUEST');
    expect((refused[0] as TRPCError).message).toContain('not batched');
    expect(await taskTitles()).toEqual(made);
  });
});

describe('canonicalJson', () => {
  it('sorts object keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,1]},"b":1}',
    );
    expect(canonicalJson(undefined)).toBe('null');
  });
});
