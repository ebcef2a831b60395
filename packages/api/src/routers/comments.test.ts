import { type Database, type Kysely, newId } from '@trellis/db';
import { refuseInserts } from '@trellis/db/testing';
import { describe, expect, it } from 'vitest';
import { fieldErrorsOf } from '../errors.js';
import { type Harness, harnessForEachTest, rejection, type TestClock } from '../test/harness.js';
import { insertProjectRow } from '../test/project-rows.js';

const START = new Date('2030-06-01T09:00:00.000Z');

let harness: Harness;
let clock: TestClock;

harnessForEachTest(START, (fresh, freshClock) => {
  harness = fresh;
  clock = freshClock;
});

/** A project with one task, written directly: these tests are about comments. */
async function insertTask(db: Kysely<Database>, workspaceId: string, createdBy: string) {
  const now = clock.now().toISOString();
  const projectId = newId();
  const states = await insertProjectRow(db, {
    id: projectId,
    workspace_id: workspaceId,
    key: `P${projectId.replace(/[^A-Z]/g, '').slice(0, 5)}X`,
    name: 'Project',
    archived_at: null,
    created_at: now,
    updated_at: now,
  });
  const taskId = newId();
  await db
    .insertInto('tasks')
    .values({
      id: taskId,
      workspace_id: workspaceId,
      project_id: projectId,
      number: 1,
      title: 'A task to talk about',
      status: 'todo',
      state_id: states.todo,
      priority: 2,
      assignee_id: null,
      due_at: null,
      created_by: createdBy,
      created_at: now,
      updated_at: now,
      completed_at: null,
    })
    .execute();
  return { projectId, taskId };
}

/** A workspace with an owner, an admin, two members and a viewer, and one task. */
async function workspaceWithTeam(slug = 'acme') {
  const owner = await harness.signUpUser('Olive Owner');
  const workspace = await owner.api.workspaces.create({ name: 'Acme', slug });
  const people = {
    admin: await harness.signUpUser('Adam Admin'),
    member: await harness.signUpUser('Mia Member'),
    other: await harness.signUpUser('Otto Other'),
    viewer: await harness.signUpUser('Vera Viewer'),
  };
  await harness.addMember(workspace.id, people.admin.user.id, 'admin');
  await harness.addMember(workspace.id, people.member.user.id, 'member');
  await harness.addMember(workspace.id, people.other.user.id, 'member');
  await harness.addMember(workspace.id, people.viewer.user.id, 'viewer');
  const { projectId, taskId } = await insertTask(harness.db, workspace.id, owner.user.id);
  return { workspace, owner, ...people, projectId, taskId };
}

const storedBody = async (commentId: string) =>
  (
    await harness.db
      .selectFrom('comments')
      .select('body')
      .where('id', '=', commentId)
      .executeTakeFirst()
  )?.body;

const activityOf = (workspaceId: string) =>
  harness.db
    .selectFrom('activity')
    .select(['type', 'task_id', 'project_id', 'actor_id', 'api_token_id', 'data'])
    .where('workspace_id', '=', workspaceId)
    .where('type', 'like', 'comment.%')
    .orderBy('seq')
    .execute();

describe('comments.create', () => {
  it('returns the comment as clients see it', async () => {
    const { member, taskId } = await workspaceWithTeam();
    const comment = await member.api.comments.create({ taskId, body: 'Looks good to me' });
    expect(comment).toEqual({
      id: expect.any(String),
      taskId,
      authorId: member.user.id,
      authorName: 'Mia Member',
      body: 'Looks good to me',
      mentions: [],
      createdAt: START.toISOString(),
      updatedAt: START.toISOString(),
      edited: false,
    });
  });

  it('stores and returns bodies verbatim: no trimming, no HTML munging, any Unicode', async () => {
    const { member, taskId } = await workspaceWithTeam();
    const bodies = [
      '<script>alert(1)</script>\n  \t spaces ',
      '   ',
      '&amp; &lt;b&gt; "quotes" \'single\' \\backslash',
      'Grüße, café, 東京, مرحبا, שלום, 👩‍👩‍👧 𝕏 \u200b zero-width',
      'e\u0301 (decomposed, not normalised) and a BEL \u0007 inside',
      '\r\n\r\nWindows line endings\r\n',
    ];
    for (const body of bodies) {
      clock.advance(1000);
      const created = await member.api.comments.create({ taskId, body });
      expect(created.body).toBe(body);
      expect(await storedBody(created.id)).toBe(body);
    }
    const { items } = await member.api.comments.list({ taskId });
    expect(items.map((comment) => comment.body)).toEqual(bodies);
  });

  it('accepts 10,000 characters and refuses 10,001, an empty body, lone surrogates and NUL', async () => {
    const { member, taskId } = await workspaceWithTeam();
    const longest = 'x'.repeat(10_000);
    expect((await member.api.comments.create({ taskId, body: longest })).body).toBe(longest);
    for (const body of ['x'.repeat(10_001), '', 'broken \ud800 half', 'a NUL \u0000 inside']) {
      const error = await rejection(member.api.comments.create({ taskId, body }));
      expect(error.code).toBe('BAD_REQUEST');
      expect(Object.keys(fieldErrorsOf(error.cause) ?? {})).toEqual(['body']);
    }
    expect(await harness.db.selectFrom('comments').select('id').execute()).toHaveLength(1);
  });

  it('is for members and up: viewers and read tokens are refused', async () => {
    const { workspace, owner, admin, viewer, taskId } = await workspaceWithTeam();
    for (const person of [owner, admin]) {
      await person.api.comments.create({ taskId, body: 'fine' });
    }
    const readToken = await owner.api.apiTokens.create({
      workspaceId: workspace.id,
      name: 'reader',
      scope: 'read',
    });
    for (const api of [viewer.api, harness.as(readToken.token)]) {
      const error = await rejection(api.comments.create({ taskId, body: 'not allowed' }));
      expect(error.code).toBe('FORBIDDEN');
    }
    expect(await harness.db.selectFrom('comments').select('id').execute()).toHaveLength(2);
  });

  it('with a write token, the author is the person who created the token', async () => {
    const { workspace, admin, taskId } = await workspaceWithTeam();
    const writeToken = await admin.api.apiTokens.create({
      workspaceId: workspace.id,
      name: 'bot',
      scope: 'write',
    });
    const comment = await harness
      .as(writeToken.token)
      .comments.create({ taskId, body: 'from a script' });
    expect(comment.authorId).toBe(admin.user.id);
    expect(comment.authorName).toBe('Adam Admin');
    const [entry] = await activityOf(workspace.id);
    expect(entry).toMatchObject({ actor_id: admin.user.id, api_token_id: writeToken.id });
  });

  it('answers NOT_FOUND to non-members and for tasks that do not exist', async () => {
    const { taskId } = await workspaceWithTeam();
    const stranger = await harness.signUpUser('Sam Stranger');
    await stranger.api.workspaces.create({ name: 'Elsewhere', slug: 'elsewhere' });
    for (const [api, id] of [
      [stranger.api, taskId],
      [stranger.api, 'no-such-task'],
    ] as const) {
      const error = await rejection(api.comments.create({ taskId: id, body: 'hello' }));
      expect(error.code).toBe('NOT_FOUND');
      expect(error.message).toBe('Task not found');
    }
  });

  it('writes comment.created in the same transaction, with the task and project', async () => {
    const { workspace, member, taskId, projectId } = await workspaceWithTeam();
    // A body longer than the excerpt, with an emoji straddling the 200th code point.
    const body = `${'a'.repeat(199)}👍${'b'.repeat(500)}`;
    const comment = await member.api.comments.create({ taskId, body });
    const entries = await activityOf(workspace.id);
    expect(entries).toHaveLength(1);
    const [entry] = entries;
    expect(entry).toMatchObject({
      type: 'comment.created',
      task_id: taskId,
      project_id: projectId,
      actor_id: member.user.id,
      api_token_id: null,
    });
    expect(JSON.parse(entry?.data ?? '')).toEqual({
      commentId: comment.id,
      taskId,
      excerpt: `${'a'.repeat(199)}👍`,
      comment,
    });
  });

  it('writes nothing when the activity entry cannot be written', async () => {
    const { member, taskId } = await workspaceWithTeam();
    await refuseInserts(harness.db, 'activity', 'activity refused');
    await rejection(member.api.comments.create({ taskId, body: 'lost together' }));
    expect(await harness.db.selectFrom('comments').select('id').execute()).toEqual([]);
  });
});

describe('comments.list', () => {
  it('walks every comment of the task exactly once, oldest first, page by page', async () => {
    const { member, viewer, owner, taskId, workspace } = await workspaceWithTeam();
    const { taskId: otherTaskId } = await insertTask(harness.db, workspace.id, owner.user.id);
    await member.api.comments.create({ taskId: otherTaskId, body: 'elsewhere' });
    const expected: string[] = [];
    for (let i = 0; i < 7; i += 1) {
      // Three comments share each millisecond: the id breaks the tie, and no page
      // boundary may skip or repeat one of them.
      if (i % 3 === 0) clock.advance(1000);
      expected.push((await member.api.comments.create({ taskId, body: `comment ${i}` })).id);
    }
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await viewer.api.comments.list({ taskId, limit: 3, cursor });
      pages.push(page.items.map((comment) => comment.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(pages.map((page) => page.length)).toEqual([3, 3, 1]);
    const walked = pages.flat();
    expect(new Set(walked).size).toBe(7);
    expect(walked.sort()).toEqual([...expected].sort());
    const { items, nextCursor } = await viewer.api.comments.list({ taskId });
    expect(nextCursor).toBeNull();
    const times = items.map((comment) => `${comment.createdAt} ${comment.id}`);
    expect(times).toEqual([...times].sort());
  });

  it('refuses cursors it did not issue and limits outside 1–100', async () => {
    const { member, taskId } = await workspaceWithTeam();
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const garbage = [
      '',
      'garbage!',
      'x'.repeat(201),
      Buffer.from('not json').toString('base64url'),
      encode({ createdAt: START.toISOString(), id: 'a' }),
      encode(['yesterday', 'a']),
      encode([START.toISOString(), 42]),
      encode([START.toISOString(), '']),
      encode([START.toISOString(), 'a', 'extra']),
    ];
    for (const cursor of garbage) {
      const error = await rejection(member.api.comments.list({ taskId, cursor }));
      expect(error.code).toBe('BAD_REQUEST');
      expect(Object.keys(fieldErrorsOf(error.cause) ?? {})).toEqual(['cursor']);
    }
    for (const limit of [0, 101, 2.5]) {
      const error = await rejection(member.api.comments.list({ taskId, limit }));
      expect(Object.keys(fieldErrorsOf(error.cause) ?? {})).toEqual(['limit']);
    }
  });

  it('answers NOT_FOUND to non-members', async () => {
    const { taskId } = await workspaceWithTeam();
    const stranger = await harness.signUpUser('Sam Stranger');
    const error = await rejection(stranger.api.comments.list({ taskId }));
    expect(error.code).toBe('NOT_FOUND');
  });
});

describe('comments.update', () => {
  it('lets the author edit, marks the comment edited and logs comment.updated', async () => {
    const { workspace, member, taskId, projectId } = await workspaceWithTeam();
    const comment = await member.api.comments.create({ taskId, body: 'frist' });
    clock.advance(60_000);
    const edited = await member.api.comments.update({ commentId: comment.id, body: 'first' });
    expect(edited).toEqual({
      ...comment,
      body: 'first',
      updatedAt: new Date(START.getTime() + 60_000).toISOString(),
      edited: true,
    });
    expect(await storedBody(comment.id)).toBe('first');
    const [, entry] = await activityOf(workspace.id);
    expect(entry).toMatchObject({
      type: 'comment.updated',
      task_id: taskId,
      project_id: projectId,
      actor_id: member.user.id,
    });
    expect(JSON.parse(entry?.data ?? '')).toEqual({
      commentId: comment.id,
      taskId,
      excerpt: 'first',
      comment: edited,
    });
  });

  it('marks an edit made within the same millisecond as edited too', async () => {
    const { member, taskId } = await workspaceWithTeam();
    const comment = await member.api.comments.create({ taskId, body: 'quick' });
    const edited = await member.api.comments.update({ commentId: comment.id, body: 'quicker' });
    expect(edited.edited).toBe(true);
  });

  it('records nothing when the body did not change', async () => {
    const { workspace, member, taskId } = await workspaceWithTeam();
    const comment = await member.api.comments.create({ taskId, body: 'same' });
    clock.advance(1000);
    expect(await member.api.comments.update({ commentId: comment.id, body: 'same' })).toEqual(
      comment,
    );
    expect((await activityOf(workspace.id)).map((entry) => entry.type)).toEqual([
      'comment.created',
    ]);
  });

  it("refuses everyone but the author, even admins and owners: nobody edits someone's words", async () => {
    const { member, other, admin, owner, viewer, taskId } = await workspaceWithTeam();
    const comment = await member.api.comments.create({ taskId, body: 'mine' });
    for (const person of [other, admin, owner, viewer]) {
      const error = await rejection(
        person.api.comments.update({ commentId: comment.id, body: 'yours now' }),
      );
      expect(error.code).toBe('FORBIDDEN');
    }
    expect(await storedBody(comment.id)).toBe('mine');
  });

  it('keeps bodies verbatim and bounded on edit too', async () => {
    const { member, taskId } = await workspaceWithTeam();
    const comment = await member.api.comments.create({ taskId, body: 'plain' });
    const body = '  <b>bold?</b>\n\t';
    expect((await member.api.comments.update({ commentId: comment.id, body })).body).toBe(body);
    const error = await rejection(
      member.api.comments.update({ commentId: comment.id, body: 'x'.repeat(10_001) }),
    );
    expect(Object.keys(fieldErrorsOf(error.cause) ?? {})).toEqual(['body']);
    expect(await storedBody(comment.id)).toBe(body);
  });
});

describe('comments.delete', () => {
  it('lets the author delete their own and logs comment.deleted', async () => {
    const { workspace, member, taskId, projectId } = await workspaceWithTeam();
    const comment = await member.api.comments.create({ taskId, body: 'oops' });
    expect(await member.api.comments.delete({ commentId: comment.id })).toEqual({ ok: true });
    expect(await storedBody(comment.id)).toBeUndefined();
    const [, entry] = await activityOf(workspace.id);
    expect(entry).toMatchObject({
      type: 'comment.deleted',
      task_id: taskId,
      project_id: projectId,
      actor_id: member.user.id,
    });
    expect(JSON.parse(entry?.data ?? '')).toEqual({
      commentId: comment.id,
      taskId,
      authorId: member.user.id,
      excerpt: 'oops',
      comment,
    });
  });

  it("lets admins and owners delete anyone's comment", async () => {
    const { member, admin, owner, taskId } = await workspaceWithTeam();
    for (const moderator of [admin, owner]) {
      const comment = await member.api.comments.create({ taskId, body: 'spam' });
      await moderator.api.comments.delete({ commentId: comment.id });
      expect(await storedBody(comment.id)).toBeUndefined();
    }
  });

  it("refuses members deleting others' comments, and viewers", async () => {
    const { workspace, member, other, viewer, owner, taskId } = await workspaceWithTeam();
    const comment = await member.api.comments.create({ taskId, body: 'keep me' });
    const writeToken = await owner.api.apiTokens.create({
      workspaceId: workspace.id,
      name: 'bot',
      scope: 'write',
    });
    // A write token acts as a member, even when an owner created it.
    for (const api of [other.api, viewer.api, harness.as(writeToken.token)]) {
      const error = await rejection(api.comments.delete({ commentId: comment.id }));
      expect(error.code).toBe('FORBIDDEN');
    }
    expect(await storedBody(comment.id)).toBe('keep me');
  });
});

describe('comments of another workspace', () => {
  it('are NOT_FOUND by id, even to that other workspace’s owner', async () => {
    const { member, taskId } = await workspaceWithTeam('acme');
    const comment = await member.api.comments.create({ taskId, body: 'private' });
    const rival = await harness.signUpUser('Rita Rival');
    const rivalSpace = await rival.api.workspaces.create({ name: 'Rival', slug: 'rival' });
    const rivalToken = await rival.api.apiTokens.create({
      workspaceId: rivalSpace.id,
      name: 'bot',
      scope: 'write',
    });
    for (const api of [rival.api, harness.as(rivalToken.token)]) {
      // Started one at a time: a second call already running would reject unheard while
      // the first is awaited.
      for (const call of [
        () => api.comments.update({ commentId: comment.id, body: 'mine now' }),
        () => api.comments.delete({ commentId: comment.id }),
      ]) {
        const error = await rejection(call());
        expect(error.code).toBe('NOT_FOUND');
        expect(error.message).toBe('Comment not found');
      }
      expect((await rejection(api.comments.list({ taskId }))).code).toBe('NOT_FOUND');
    }
    expect(await storedBody(comment.id)).toBe('private');
  });
});
