// How the permission matrix (../permissions.test.ts) runs one cell: a fresh workspace with
// people in every role, a caller of each kind, the procedure called by its path, and the
// state a refused call must leave untouched.
import { createApiToken, createSession, invalidateSession } from '@trellis/auth';
import { isoNow, newId } from '@trellis/db';
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll } from 'vitest';
import { recordActivity } from '../activity.js';
import { loadTaskViews } from '../queries/tasks.js';
import { trashTasks } from '../queries/trash.js';
import { insertDelivery, insertWebhook } from '../queries/webhooks.js';
import { appRouter } from '../root.js';
import { newWebhookSecret } from '../webhooks/signing.js';
import { createHarness, type Harness } from './harness.js';
import type { Caller, Fixture, Outcome } from './permission-table.js';
import { insertProjectRow } from './project-rows.js';
import { CLOSED_URL } from './webhook-settings.js';

export type Api = ReturnType<Harness['as']>;
type Person = Awaited<ReturnType<Harness['signUpUser']>>;
type Procedure = (input: unknown) => Promise<unknown>;

/** The procedures as the router defines them, by path ('members.invite'). */
export const PROCEDURES: Readonly<Record<string, unknown>> = appRouter._def.procedures;

function isCallable(value: unknown): value is Procedure {
  return typeof value === 'function';
}

/** The router's own type for a procedure: query, mutation or subscription. */
export function procedureType(path: string): unknown {
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
export async function outcomeOf(api: Api, path: string, input: unknown): Promise<Outcome> {
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

/**
 * The people every cell uses, signed up once for the calling file (beforeAll), and the
 * fixtures, callers and state look-ups over them.
 */
export function matrixCells() {
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
    const { projectId, taskId, otherTaskId, trashedTaskId, commentId, stateId, stateIds } =
      await createWork(workspaceId, now);
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
    const hook = await createWebhookWithDelivery(workspaceId, projectId, now);
    const viewId = await createSharedView(workspaceId, now);
    const attachmentId = await createAttachment(workspaceId, taskId, now);
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
      stateId,
      stateIds,
      taskId,
      otherTaskId,
      trashedTaskId,
      commentId,
      viewId,
      attachmentId,
      ...hook,
    };
  }

  /** An attachment row of the member's on the task (the matrix never reads its file). */
  async function createAttachment(workspaceId: string, taskId: string, now: string) {
    const id = newId();
    await harness.db
      .insertInto('attachments')
      .values({
        id,
        workspace_id: workspaceId,
        task_id: taskId,
        comment_id: null,
        filename: 'notes.txt',
        content_type: 'text/plain',
        size: 5,
        sha256: '0'.repeat(64),
        storage_key: newId(),
        preview_key: null,
        uploaded_by: people.member.user.id,
        created_at: now,
      })
      .execute();
    return id;
  }

  /** A shared view saved by the member (not the owner). */
  async function createSharedView(workspaceId: string, now: string): Promise<string> {
    const id = newId();
    await harness.db
      .insertInto('views')
      .values({
        id,
        workspace_id: workspaceId,
        owner_id: people.member.user.id,
        name: 'Open bugs',
        shared: 1,
        filters: JSON.stringify({ label: 'bug' }),
        sort: 'created',
        sort_order: 'desc',
        created_at: now,
        updated_at: now,
      })
      .execute();
    return id;
  }

  /** An endpoint (to a closed port) with one failed delivery of the workspace's one entry. */
  async function createWebhookWithDelivery(workspaceId: string, projectId: string, now: string) {
    const entry = await recordActivity(
      harness.db,
      {
        workspaceId,
        actor: null,
        type: 'project.created',
        projectId,
        data: {
          project: {
            id: projectId,
            workspaceId,
            key: 'MTX',
            name: 'Matrix',
            archivedAt: null,
            createdAt: now,
            updatedAt: now,
          },
        },
      },
      new Date(now),
    );
    const webhookId = newId();
    await insertWebhook(harness.db, {
      id: webhookId,
      workspaceId,
      url: CLOSED_URL,
      description: '',
      events: null,
      secret: newWebhookSecret(),
      createdBy: people.owner.user.id,
      at: now,
    });
    const deliveryId = newId();
    await insertDelivery(harness.db, {
      id: deliveryId,
      webhook_id: webhookId,
      event_id: entry.id,
      event_type: 'project.created',
      position: entry.workspaceSeq,
      attempt: 1,
      trigger: 'event',
      outcome: 'failed',
      status_code: null,
      latency_ms: 1,
      error: 'connection refused',
      response_excerpt: null,
      created_at: now,
    });
    return { webhookId, deliveryId, eventId: entry.id };
  }

  /** The fixture's project, tasks, relation and comment (the search index follows by trigger). */
  async function createWork(workspaceId: string, now: string) {
    const projectId = newId();
    const taskId = newId();
    const otherTaskId = newId();
    const commentId = newId();
    const states = await insertProjectRow(harness.db, {
      id: projectId,
      workspace_id: workspaceId,
      key: 'MTX',
      name: 'Matrix',
      archived_at: null,
      // MTX-1 and MTX-2 below are taken, and MTX-3 (in the trash).
      next_task_number: 4,
      created_at: now,
      updated_at: now,
    });
    const task = (id: string, number: number) => ({
      id,
      workspace_id: workspaceId,
      project_id: projectId,
      number,
      title: 'Matrix task',
      status: 'todo' as const,
      state_id: states.todo,
      priority: 0,
      assignee_id: null,
      due_at: null,
      created_by: people.owner.user.id,
      created_at: now,
      updated_at: now,
      completed_at: null,
    });
    const trashedTaskId = newId();
    await harness.db
      .insertInto('tasks')
      .values([task(taskId, 1), task(otherTaskId, 2), task(trashedTaskId, 3)])
      .execute();
    // MTX-3 goes to the trash the way tasks.delete puts it there.
    await trashTasks(harness.db, {
      workspaceId,
      rootTaskId: trashedTaskId,
      views: await loadTaskViews(harness.db, workspaceId, [trashedTaskId]),
      deletedBy: people.owner.user.id,
      deletedAt: now,
    });
    await harness.db
      .insertInto('task_relations')
      .values({
        workspace_id: workspaceId,
        task_id: taskId,
        other_task_id: otherTaskId,
        type: 'relates',
        created_by: people.owner.user.id,
        created_at: now,
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
    return {
      projectId,
      taskId,
      otherTaskId,
      trashedTaskId,
      commentId,
      stateId: states.backlog,
      stateIds: Object.values(states).reverse(),
    };
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
      attachments: await db
        .selectFrom('attachments')
        .select('id')
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

  return {
    createFixture,
    apiFor,
    stateOf,
    get harness() {
      return harness;
    },
    get people() {
      return people;
    },
  };
}
