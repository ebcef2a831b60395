import { createApiToken, createSession, invalidateSession } from '@trellis/auth';
import { isoNow, newId } from '@trellis/db';
import { type AnyProcedure, type inferProcedureInput, TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppRouter, appRouter } from './root.js';
import { createHarness, type Harness, rejection } from './test/harness.js';

// The permission matrix: every procedure of the router, called by every kind of caller,
// each answer checked against the one table below. A procedure added without a row (or a
// row left behind by a removed procedure) fails the first test.

/** Who calls, in the table's column order. */
const CALLERS = [
  'anonymous', // no credential at all
  'outsider', // signed in, not a member of the workspace
  'viewer',
  'member',
  'admin',
  'owner',
  'readToken', // an API token of the workspace, scope read
  'writeToken', // an API token of the workspace, scope write
  'foreignToken', // a valid (write) API token of another workspace
] as const;
type Caller = (typeof CALLERS)[number];

/** The callers checked on procedures outside any workspace (auth.*, workspaces.create…). */
const ACCOUNT_CALLERS = ['anonymous', 'readToken', 'writeToken', 'foreignToken'] as const;

/** Success, or the HTTP status of the tRPC error code. */
type Outcome = 'ok' | 401 | 403 | 404;

/** One outcome per caller, in the callers' order. */
type Columns<C extends readonly Caller[]> = { readonly [K in keyof C]: Outcome };

/** What each cell's fresh workspace holds; `input` functions build valid inputs from it. */
interface Fixture {
  workspaceId: string;
  /** A member (role `member`), the target of updateRole and remove. */
  victimId: string;
  /** A pending invite, sent by the owner. */
  inviteId: string;
  inviteToken: string;
  /** A live API token nobody calls with, the target of apiTokens.revoke. */
  spareTokenId: string;
  /** A spare session of the owner, the target of auth.sessions.revoke. */
  spareSessionId: string;
  /** Not used by any workspace or invite yet. */
  freshSlug: string;
  freshEmail: string;
  tokens: { read: string; write: string };
  /** A live project (key MTX) holding the task; its next task number is 2. */
  projectId: string;
  /** Task MTX-1, at version 1, created by the owner. */
  taskId: string;
  /**
   * A comment on the task by the member (not the owner): editing it is the author's alone,
   * so the owner and admins are refused; deleting it is open to the author and admins.
   */
  commentId: string;
}

interface Row<I> {
  /** `public` rows are not called (anyone may call them); their rows only keep the list whole. */
  scope: 'public' | 'account' | 'workspace';
  type: 'query' | 'mutation' | 'subscription';
  input: (fixture: Fixture) => I;
  cells: ReadonlyArray<{ caller: Caller; expected: Outcome }>;
}

function row<I, C extends readonly Caller[]>(
  scope: 'account' | 'workspace',
  type: Row<I>['type'],
  callers: C,
  outcomes: Columns<C>,
  input: (fixture: Fixture) => I,
): Row<I> {
  const cells = callers.map((caller, i) => {
    const expected = outcomes[i];
    // Columns<C> has one outcome per caller, so this only guards the index type.
    if (expected === undefined) throw new Error(`No outcome for ${caller}`);
    return { caller, expected };
  });
  return { scope, type, input, cells };
}

/** A procedure inside `input.workspaceId`, checked for every caller. */
function workspace<I>(
  type: Row<I>['type'],
  outcomes: Columns<typeof CALLERS>,
  input: (fixture: Fixture) => I,
): Row<I> {
  return row('workspace', type, CALLERS, outcomes, input);
}

/** A signed-in procedure outside any workspace: only anonymous and token callers are checked. */
function account<I>(
  type: Row<I>['type'],
  outcomes: Columns<typeof ACCOUNT_CALLERS>,
  input: (fixture: Fixture) => I,
): Row<I> {
  return row('account', type, ACCOUNT_CALLERS, outcomes, input);
}

/** A procedure anyone may call; nothing to check. */
function publicRow(type: Row<never>['type']): Row<never> {
  return {
    scope: 'public',
    type,
    input: () => {
      throw new Error('public procedures are not called by the matrix');
    },
    cells: [],
  };
}

const inWorkspace = (f: Fixture) => ({ workspaceId: f.workspaceId });
const inProject = (f: Fixture) => ({ projectId: f.projectId });
const onTask = (f: Fixture) => ({ taskId: f.taskId });
const onComment = (f: Fixture) => ({ commentId: f.commentId });
const noInput = () => undefined;

/** Every procedure path of a router record, spelled 'members.invite'. */
type PathsOf<R, Prefix extends string = ''> = {
  [K in keyof R & string]: R[K] extends AnyProcedure
    ? `${Prefix}${K}`
    : PathsOf<R[K], `${Prefix}${K}.`>;
}[keyof R & string];
type ProcedureRecord = AppRouter['_def']['record'];
type ProcedurePath = PathsOf<ProcedureRecord>;
type InputAt<R, P extends string> = P extends `${infer Head}.${infer Rest}`
  ? Head extends keyof R
    ? InputAt<R[Head], Rest>
    : never
  : P extends keyof R
    ? R[P] extends AnyProcedure
      ? inferProcedureInput<R[P]>
      : never
    : never;

/**
 * THE TABLE: who gets what from every procedure. 401 = UNAUTHORIZED, 403 = FORBIDDEN,
 * 404 = NOT_FOUND (a non-member, or a token of another workspace, must not learn that the
 * workspace exists). API tokens act as viewer (read) or member (write), never mutate when
 * read-only, and never manage members, tokens or the workspace itself.
 *
 * members.leave as owner is 'ok' because every fixture has a second owner; the last owner
 * leaving gets CONFLICT instead (tested in members' own tests, not here).
 *
 * Comments: only the author edits (not even the owner edits another's words), and the
 * author or an admin deletes. The fixture's comment is the member's. A write token acts
 * with the member role on behalf of its creator, the owner: neither the comment's author
 * nor an admin, so it may do neither.
 *
 * A subscription is 'ok' when it starts: access is checked when subscribing.
 */
// biome-ignore format: the columns stay aligned under their headings
const TABLE: { [P in ProcedurePath]: Row<InputAt<ProcedureRecord, P>> } = {
  'auth.signUp': publicRow('mutation'),
  'auth.signIn': publicRow('mutation'),
  'auth.verifyEmail': publicRow('mutation'),
  'auth.requestPasswordReset': publicRow('mutation'),
  'auth.resetPassword': publicRow('mutation'),

  //                                         anon  read  write foreign
  'auth.signOut':           account('mutation', [401, 403, 403, 403], () => ({})),
  'auth.signOutEverywhere': account('mutation', [401, 403, 403, 403], () => ({})),
  'auth.me':                account('query',    [401, 403, 403, 403], noInput),
  'auth.sessions.list':     account('query',    [401, 403, 403, 403], noInput),
  'auth.sessions.revoke':   account('mutation', [401, 403, 403, 403],
    (f) => ({ sessionId: f.spareSessionId })),
  'auth.resendVerification': account('mutation', [401, 403, 403, 403], () => ({})),
  'auth.changePassword':    account('mutation', [401, 403, 403, 403],
    () => ({ currentPassword: 'correct horse battery staple', newPassword: 'another good password' })),
  'auth.changeEmail':       account('mutation', [401, 403, 403, 403],
    (f) => ({ newEmail: f.freshEmail, currentPassword: 'correct horse battery staple' })),
  'workspaces.create':      account('mutation', [401, 403, 403, 403],
    (f) => ({ name: 'Another', slug: f.freshSlug })),
  'workspaces.list':        account('query',    [401, 403, 403, 403], noInput),
  'members.acceptInvite':   account('mutation', [401, 403, 403, 403],
    (f) => ({ inviteToken: f.inviteToken })),

  //                                                 anon outsider viewer member admin owner read write foreign
  'workspaces.get':       workspace('query',        [401, 404, 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 404], inWorkspace),
  'workspaces.update':    workspace('mutation',     [401, 404, 403,  403,  403,  'ok', 403,  403,  404],
    (f) => ({ workspaceId: f.workspaceId, name: 'Renamed' })),
  'workspaces.delete':    workspace('mutation',     [401, 404, 403,  403,  403,  'ok', 403,  403,  404], inWorkspace),

  'members.list':         workspace('query',        [401, 404, 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 404], inWorkspace),
  'members.invite':       workspace('mutation',     [401, 404, 403,  403,  'ok', 'ok', 403,  403,  404],
    (f) => ({ workspaceId: f.workspaceId, email: f.freshEmail, role: 'member' })),
  'members.invites':      workspace('query',        [401, 404, 403,  403,  'ok', 'ok', 403,  403,  404], inWorkspace),
  'members.revokeInvite': workspace('mutation',     [401, 404, 403,  403,  'ok', 'ok', 403,  403,  404],
    (f) => ({ workspaceId: f.workspaceId, inviteId: f.inviteId })),
  'members.updateRole':   workspace('mutation',     [401, 404, 403,  403,  'ok', 'ok', 403,  403,  404],
    (f) => ({ workspaceId: f.workspaceId, userId: f.victimId, role: 'viewer' })),
  'members.remove':       workspace('mutation',     [401, 404, 403,  403,  'ok', 'ok', 403,  403,  404],
    (f) => ({ workspaceId: f.workspaceId, userId: f.victimId })),
  'members.leave':        workspace('mutation',     [401, 404, 'ok', 'ok', 'ok', 'ok', 403,  403,  404], inWorkspace),

  'apiTokens.create':     workspace('mutation',     [401, 404, 403,  403,  'ok', 'ok', 403,  403,  404],
    (f) => ({ workspaceId: f.workspaceId, name: 'CI', scope: 'read' })),
  'apiTokens.list':       workspace('query',        [401, 404, 403,  403,  'ok', 'ok', 403,  403,  404], inWorkspace),
  'apiTokens.revoke':     workspace('mutation',     [401, 404, 403,  403,  'ok', 'ok', 403,  403,  404],
    (f) => ({ workspaceId: f.workspaceId, tokenId: f.spareTokenId })),

  'projects.create':      workspace('mutation',     [401, 404, 403,  403,  'ok', 'ok', 403,  403,  404],
    (f) => ({ workspaceId: f.workspaceId, name: 'Another', key: 'NEW' })),
  'projects.list':        workspace('query',        [401, 404, 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 404], inWorkspace),
  'projects.get':         workspace('query',        [401, 404, 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 404], inProject),
  'projects.update':      workspace('mutation',     [401, 404, 403,  403,  'ok', 'ok', 403,  403,  404],
    (f) => ({ projectId: f.projectId, name: 'Renamed' })),
  'projects.archive':     workspace('mutation',     [401, 404, 403,  403,  'ok', 'ok', 403,  403,  404], inProject),

  'tasks.create':         workspace('mutation',     [401, 404, 403,  'ok', 'ok', 'ok', 403,  'ok', 404],
    (f) => ({ projectId: f.projectId, title: 'Another task' })),
  'tasks.get':            workspace('query',        [401, 404, 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 404], onTask),
  'tasks.list':           workspace('query',        [401, 404, 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 404],
    (f) => ({ workspaceId: f.workspaceId, projectId: f.projectId })),
  'tasks.update':         workspace('mutation',     [401, 404, 403,  'ok', 'ok', 'ok', 403,  'ok', 404],
    (f) => ({ taskId: f.taskId, expectedVersion: 1, patch: { priority: 3 } })),
  'tasks.delete':         workspace('mutation',     [401, 404, 403,  'ok', 'ok', 'ok', 403,  'ok', 404], onTask),
  'tasks.onChange':       workspace('subscription', [401, 404, 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 404], inWorkspace),

  'comments.create':      workspace('mutation',     [401, 404, 403,  'ok', 'ok', 'ok', 403,  'ok', 404],
    (f) => ({ taskId: f.taskId, body: 'Agreed.' })),
  'comments.list':        workspace('query',        [401, 404, 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 404], onTask),
  'comments.update':      workspace('mutation',     [401, 404, 403,  'ok', 403,  403,  403,  403,  404],
    (f) => ({ commentId: f.commentId, body: 'Edited.' })),
  'comments.delete':      workspace('mutation',     [401, 404, 403,  'ok', 'ok', 'ok', 403,  403,  404], onComment),

  'activity.list':        workspace('query',        [401, 404, 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 404], inWorkspace),
  'search.tasks':         workspace('query',        [401, 404, 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 404],
    (f) => ({ workspaceId: f.workspaceId, q: 'matrix' })),
  'stats.overview':       workspace('query',        [401, 404, 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 404], inWorkspace),
};

const ROWS: ReadonlyArray<[string, Row<unknown>]> = Object.entries(TABLE);

// ---------------------------------------------------------------------------------------
// Calling procedures by path

type Api = ReturnType<Harness['as']>;
type Person = Awaited<ReturnType<Harness['signUpUser']>>;
type Procedure = (input: unknown) => Promise<unknown>;

/** The procedures as the router defines them, by path ('members.invite'). */
const PROCEDURES: Readonly<Record<string, unknown>> = appRouter._def.procedures;

function isCallable(value: unknown): value is Procedure {
  return typeof value === 'function';
}

/** The router's own type for a procedure: query, mutation or subscription. */
function procedureType(path: string): unknown {
  const procedure = PROCEDURES[path];
  if (!isCallable(procedure) || !('_def' in procedure)) return undefined;
  const def: unknown = procedure._def;
  return typeof def === 'object' && def !== null && 'type' in def ? def.type : undefined;
}

/** `api` navigated along `path`; the caller is a proxy that accepts any path, so check first. */
function procedureAt(api: Api, path: string): Procedure {
  if (!Object.hasOwn(PROCEDURES, path)) throw new Error(`No procedure ${path} in appRouter`);
  let node: unknown = api;
  for (const key of path.split('.')) {
    if (typeof node !== 'function' && (typeof node !== 'object' || node === null)) break;
    node = Reflect.get(node, key);
  }
  if (!isCallable(node)) throw new Error(`Cannot call ${path} on the caller`);
  return node;
}

function statusOf(code: TRPCError['code']): Outcome | undefined {
  switch (code) {
    case 'UNAUTHORIZED':
      return 401;
    case 'FORBIDDEN':
      return 403;
    case 'NOT_FOUND':
      return 404;
    default:
      return undefined;
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/**
 * Ends a subscription the matrix started without reading from it, so that no stream
 * outlives its test (a caller passes no abort signal, so `return()` is the way).
 */
async function closeStream(path: string, stream: unknown): Promise<void> {
  if (!isAsyncIterable(stream)) throw new Error(`${path} did not hand back a stream`);
  const ended = await stream[Symbol.asyncIterator]().return?.();
  if (!ended?.done) throw new Error(`${path}: the stream did not close`);
}

/**
 * Calls `path` and names the answer; any other error is a broken fixture or a bug. A
 * subscription is started and closed at once: its access check runs when it is called.
 */
async function outcomeOf(api: Api, path: string, input: unknown): Promise<Outcome> {
  let answer: unknown;
  try {
    answer = await procedureAt(api, path)(input);
  } catch (error) {
    if (!(error instanceof TRPCError)) throw error;
    const status = statusOf(error.code);
    if (status === undefined) {
      throw new Error(
        `${path} answered ${error.code} (${error.message}): the matrix only expects ok, ` +
          '401, 403 or 404, so the fixture input is probably wrong',
        { cause: error },
      );
    }
    return status;
  }
  if (procedureType(path) === 'subscription') await closeStream(path, answer);
  return 'ok';
}

// ---------------------------------------------------------------------------------------
// People and fixtures

let harness: Harness;
/** Signed up once per file: 7 sign-ups, under the default limit of 20 per IP per hour. */
let people: Record<
  'owner' | 'coOwner' | 'admin' | 'member' | 'viewer' | 'victim' | 'outsider',
  Person
>;
let foreignToken: string;
let fixtureCount = 0;
let lastSpareSessionId: string | undefined;

beforeAll(async () => {
  harness = await createHarness();
  people = {
    owner: await harness.signUpUser('Olive Owner'),
    coOwner: await harness.signUpUser('Otto Co-owner'),
    admin: await harness.signUpUser('Adam Admin'),
    member: await harness.signUpUser('Mia Member'),
    viewer: await harness.signUpUser('Vera Viewer'),
    victim: await harness.signUpUser('Victor Victim'),
    outsider: await harness.signUpUser('Oscar Outsider'),
  };
  // The outsider's own workspace, whose token is the "other workspace's token".
  const elsewhere = await people.outsider.api.workspaces.create({
    name: 'Elsewhere',
    slug: 'elsewhere',
  });
  foreignToken = (
    await createApiToken(harness.db, {
      workspaceId: elsewhere.id,
      name: 'foreign',
      scope: 'write',
      createdBy: people.outsider.user.id,
      expiresAt: null,
    })
  ).token;
});

afterAll(async () => {
  await harness?.destroy();
});

/**
 * A fresh workspace for one cell, written straight to the database: owner and co-owner,
 * an admin, a member, a viewer and the victim (a member); project MTX with task MTX-1
 * (the owner's) and a comment on it (the member's); a pending invite; read, write and
 * spare API tokens made by the owner; and a spare session of the owner.
 */
async function createFixture(): Promise<Fixture> {
  fixtureCount += 1;
  const now = isoNow();
  const workspaceId = newId();
  await harness.db
    .insertInto('workspaces')
    .values({
      id: workspaceId,
      name: `Matrix ${fixtureCount}`,
      slug: `matrix-${fixtureCount}`,
      created_at: now,
      updated_at: now,
    })
    .execute();
  const roles = [
    [people.owner, 'owner'],
    [people.coOwner, 'owner'],
    [people.admin, 'admin'],
    [people.member, 'member'],
    [people.viewer, 'viewer'],
    [people.victim, 'member'],
  ] as const;
  await harness.db
    .insertInto('memberships')
    .values(
      roles.map(([person, role]) => ({
        workspace_id: workspaceId,
        user_id: person.user.id,
        role,
        created_at: now,
      })),
    )
    .execute();
  const { projectId, taskId, commentId } = await createWork(workspaceId, now);
  const invite = await people.owner.api.members.invite({
    workspaceId,
    email: `invitee-${fixtureCount}@example.com`,
    role: 'member',
  });
  const token = (name: string, scope: 'read' | 'write') =>
    createApiToken(harness.db, {
      workspaceId,
      name,
      scope,
      createdBy: people.owner.user.id,
      expiresAt: null,
    });
  const read = await token('read', 'read');
  const write = await token('write', 'write');
  const spare = await token('spare', 'read');
  // Each fixture's spare session replaces the last one's: a user holds a bounded number of
  // sessions, and piling up one per cell would end the oldest, the owner's own.
  if (lastSpareSessionId) await invalidateSession(harness.db, lastSpareSessionId);
  const spareSession = await createSession(harness.db, people.owner.user.id);
  lastSpareSessionId = spareSession.session.id;
  return {
    workspaceId,
    victimId: people.victim.user.id,
    inviteId: invite.inviteId,
    inviteToken: invite.inviteToken,
    spareTokenId: spare.info.id,
    spareSessionId: spareSession.session.id,
    freshSlug: `fresh-${fixtureCount}`,
    freshEmail: `fresh-${fixtureCount}@example.com`,
    tokens: { read: read.token, write: write.token },
    projectId,
    taskId,
    commentId,
  };
}

/** The fixture's project, task and comment (the search index follows by trigger). */
async function createWork(workspaceId: string, now: string) {
  const projectId = newId();
  const taskId = newId();
  const commentId = newId();
  await harness.db
    .insertInto('projects')
    .values({
      id: projectId,
      workspace_id: workspaceId,
      key: 'MTX',
      name: 'Matrix',
      archived_at: null,
      // MTX-1 below is taken.
      next_task_number: 2,
      created_at: now,
      updated_at: now,
    })
    .execute();
  await harness.db
    .insertInto('tasks')
    .values({
      id: taskId,
      workspace_id: workspaceId,
      project_id: projectId,
      number: 1,
      title: 'Matrix task',
      status: 'todo',
      priority: 0,
      assignee_id: null,
      due_at: null,
      created_by: people.owner.user.id,
      created_at: now,
      updated_at: now,
      completed_at: null,
    })
    .execute();
  await harness.db
    .insertInto('comments')
    .values({
      id: commentId,
      workspace_id: workspaceId,
      task_id: taskId,
      author_id: people.member.user.id,
      body: 'First!',
      created_at: now,
      updated_at: now,
    })
    .execute();
  return { projectId, taskId, commentId };
}

function apiFor(caller: Caller, fixture: Fixture): Api {
  switch (caller) {
    case 'anonymous':
      return harness.caller().api;
    case 'readToken':
      return harness.as(fixture.tokens.read);
    case 'writeToken':
      return harness.as(fixture.tokens.write);
    case 'foreignToken':
      return harness.as(foreignToken);
    default:
      return people[caller].api;
  }
}

/** What a refused call must leave untouched (not timestamps that every use updates). */
async function stateOf(fixture: Fixture) {
  const { db } = harness;
  return {
    workspaces: await db.selectFrom('workspaces').select(['id', 'name']).orderBy('id').execute(),
    memberships: await db
      .selectFrom('memberships')
      .select(['user_id', 'role'])
      .where('workspace_id', '=', fixture.workspaceId)
      .orderBy('user_id')
      .execute(),
    invites: await db
      .selectFrom('invites')
      .select(['id', 'email', 'accepted_at'])
      .where('workspace_id', '=', fixture.workspaceId)
      .orderBy('id')
      .execute(),
    apiTokens: await db
      .selectFrom('api_tokens')
      .select(['id', 'revoked_at'])
      .where('workspace_id', '=', fixture.workspaceId)
      .orderBy('id')
      .execute(),
    ownerSessions: await db
      .selectFrom('sessions')
      .select('id')
      .where('user_id', '=', people.owner.user.id)
      .orderBy('id')
      .execute(),
    projects: await db
      .selectFrom('projects')
      .select(['id', 'key', 'name', 'archived_at', 'next_task_number'])
      .where('workspace_id', '=', fixture.workspaceId)
      .orderBy('id')
      .execute(),
    tasks: await db
      .selectFrom('tasks')
      .select(['id', 'number', 'title', 'priority', 'version'])
      .where('workspace_id', '=', fixture.workspaceId)
      .orderBy('id')
      .execute(),
    comments: await db
      .selectFrom('comments')
      .select(['id', 'author_id', 'body'])
      .where('workspace_id', '=', fixture.workspaceId)
      .orderBy('id')
      .execute(),
    activity: await db
      .selectFrom('activity')
      .select('seq')
      .where('workspace_id', '=', fixture.workspaceId)
      .orderBy('seq')
      .execute(),
  };
}

// ---------------------------------------------------------------------------------------
// The tests

describe('the permission table', () => {
  it('has exactly one row per procedure of appRouter', () => {
    expect(Object.keys(TABLE).sort()).toEqual(Object.keys(PROCEDURES).sort());
  });

  it.each(ROWS.map(([path, { type }]) => [path, type]))('%s is a %s', (path, type) => {
    expect(procedureType(path)).toBe(type);
  });
});

describe('permission matrix', () => {
  for (const [path, { input, cells }] of ROWS) {
    for (const { caller, expected } of cells) {
      it(`${path} as ${caller} → ${expected}`, async () => {
        const fixture = await createFixture();
        const before = await stateOf(fixture);

        const actual = await outcomeOf(apiFor(caller, fixture), path, input(fixture));

        expect(actual, `${path} as ${caller}`).toBe(expected);
        if (actual !== 'ok') {
          expect(await stateOf(fixture), 'a refused call must change nothing').toEqual(before);
        }
      });
    }
  }
});

describe('role changes apply to the very next request', () => {
  it('an admin demoted to viewer can no longer invite', async () => {
    const { workspaceId } = await createFixture();
    const admin = people.admin.api;
    await admin.members.invite({ workspaceId, email: 'before@example.com', role: 'member' });

    await people.owner.api.members.updateRole({
      workspaceId,
      userId: people.admin.user.id,
      role: 'viewer',
    });

    const error = await rejection(
      admin.members.invite({ workspaceId, email: 'after@example.com', role: 'member' }),
    );
    expect(error.code).toBe('FORBIDDEN');
  });

  it('a removed member no longer finds the workspace', async () => {
    const { workspaceId } = await createFixture();
    const victim = people.victim.api;
    await victim.workspaces.get({ workspaceId });

    await people.owner.api.members.remove({ workspaceId, userId: people.victim.user.id });

    const error = await rejection(victim.workspaces.get({ workspaceId }));
    expect(error.code).toBe('NOT_FOUND');
  });

  it('a token stops working for good as soon as its creator is no longer an admin', async () => {
    const { workspaceId } = await createFixture();
    const { token } = await createApiToken(harness.db, {
      workspaceId,
      name: 'made by the admin',
      scope: 'write',
      createdBy: people.admin.user.id,
      expiresAt: null,
    });
    await harness.as(token).workspaces.get({ workspaceId });

    await people.owner.api.members.updateRole({
      workspaceId,
      userId: people.admin.user.id,
      role: 'member',
    });

    const error = await rejection(harness.as(token).workspaces.get({ workspaceId }));
    expect(error.code).toBe('UNAUTHORIZED');

    // Revoked, not suspended: promoting the creator again does not bring it back.
    await people.owner.api.members.updateRole({
      workspaceId,
      userId: people.admin.user.id,
      role: 'admin',
    });
    const still = await rejection(harness.as(token).workspaces.get({ workspaceId }));
    expect(still.code).toBe('UNAUTHORIZED');
  });
});
