import { newId } from '@trellis/db';
import { refuseInserts } from '@trellis/db/testing';
import { describe, expect, it } from 'vitest';
import { fieldErrorsOf } from '../errors.js';
import { type Harness, harnessForEachTest, rejection, type TestClock } from '../test/harness.js';

const START = new Date('2030-06-01T09:00:00.000Z');
const MINUTE_MS = 60 * 1000;
const at = (minutes: number) => new Date(START.getTime() + minutes * MINUTE_MS).toISOString();

let harness: Harness;
let clock: TestClock;

harnessForEachTest(START, (fresh, freshClock) => {
  harness = fresh;
  clock = freshClock;
});

type SignedUp = Awaited<ReturnType<Harness['signUpUser']>>;

/** A workspace with an admin, a member, a viewer and an outsider, and one project ENG. */
async function team() {
  const owner = await harness.signUpUser('Olive Owner');
  const member = await harness.signUpUser('Mia Member');
  const viewer = await harness.signUpUser('Vic Viewer');
  const outsider = await harness.signUpUser('Otto Outsider');
  const workspace = await owner.api.workspaces.create({ name: 'Acme', slug: 'acme' });
  const workspaceId = workspace.id;
  await harness.addMember(workspaceId, member.user.id, 'member');
  await harness.addMember(workspaceId, viewer.user.id, 'viewer');
  const project = await owner.api.projects.create({ workspaceId, name: 'Engineering', key: 'ENG' });
  return { owner, member, viewer, outsider, workspaceId, project, projectId: project.id };
}

/** An API token of the workspace, made by `owner`, and a caller using it. */
async function apiToken(owner: SignedUp, workspaceId: string, scope: 'read' | 'write') {
  const { id, token } = await owner.api.apiTokens.create({ workspaceId, name: 'Bot', scope });
  return { id, api: harness.as(token) };
}

/** The workspace's activity log as stored, oldest first, with `data` parsed. */
async function activityOf(workspaceId: string) {
  const rows = await harness.db
    .selectFrom('activity')
    .select(['type', 'project_id', 'task_id', 'actor_id', 'api_token_id', 'data', 'created_at'])
    .where('workspace_id', '=', workspaceId)
    .orderBy('seq')
    .execute();
  return rows.map((row) => ({ ...row, data: JSON.parse(row.data) as Record<string, unknown> }));
}

/** The activity types logged for one task, oldest first. */
async function taskEvents(workspaceId: string, taskId: string) {
  return (await activityOf(workspaceId))
    .filter((entry) => entry.task_id === taskId)
    .map((entry) => entry.type);
}

/** A task's row and labels as stored. */
async function storedTask(taskId: string) {
  const row = await harness.db
    .selectFrom('tasks')
    .selectAll()
    .where('id', '=', taskId)
    .executeTakeFirst();
  const labels = await harness.db
    .selectFrom('task_labels')
    .select('label')
    .where('task_id', '=', taskId)
    .orderBy('label')
    .execute();
  return row && { ...row, labels: labels.map(({ label }) => label) };
}

/** The project's next task number as stored. */
async function nextNumber(projectId: string) {
  const row = await harness.db
    .selectFrom('projects')
    .select('next_task_number')
    .where('id', '=', projectId)
    .executeTakeFirstOrThrow();
  return row.next_task_number;
}

/** Makes every insert of an activity entry of `type` fail, as a broken log write would. */
async function breakActivity(type: string) {
  await refuseInserts(harness.db, 'activity', 'activity write failed', {
    column: 'type',
    value: type,
  });
}

describe('tasks.create', () => {
  it('creates task 1 of the project with the documented defaults', async () => {
    const { member, workspaceId, projectId } = await team();

    const task = await member.api.tasks.create({ projectId, title: '  Fix the login page ' });

    expect(task).toEqual({
      id: expect.any(String),
      workspaceId,
      projectId,
      number: 1,
      key: 'ENG-1',
      title: 'Fix the login page',
      description: '',
      status: 'todo',
      priority: 0,
      assigneeId: null,
      labels: [],
      dueAt: null,
      version: 1,
      createdBy: member.user.id,
      createdAt: START.toISOString(),
      updatedAt: START.toISOString(),
      completedAt: null,
    });
    expect(await member.api.tasks.get({ taskId: task.id })).toEqual(task);
  });

  it('stores every field given: labels trimmed and de-duplicated, due date in UTC', async () => {
    const { owner, member, viewer, projectId } = await team();

    const task = await member.api.tasks.create({
      projectId,
      title: 'Ship it',
      description: 'Steps',
      status: 'in_progress',
      priority: 4,
      assigneeId: viewer.user.id,
      labels: [' ui ', 'bug', 'ui', 'bug'],
      dueAt: '2030-07-01T12:30:00+02:00',
    });

    expect(task).toMatchObject({
      status: 'in_progress',
      priority: 4,
      assigneeId: viewer.user.id,
      labels: ['bug', 'ui'],
      dueAt: '2030-07-01T10:30:00.000Z',
    });
    expect(await owner.api.tasks.get({ taskId: task.id })).toEqual(task);
  });

  it('stores and returns the description verbatim: markup, newlines and spaces kept', async () => {
    const { member, projectId } = await team();
    const description = '<b>x</b>\n  spaced  \r\n\t"quoted" & \u{1F600}';

    const task = await member.api.tasks.create({ projectId, title: 'Verbatim', description });

    expect(task.description).toBe(description);
    expect((await storedTask(task.id))?.description).toBe(description);
    expect((await member.api.tasks.get({ taskId: task.id })).description).toBe(description);
  });

  it('sets completedAt when a task is created done', async () => {
    const { member, projectId } = await team();

    const task = await member.api.tasks.create({ projectId, title: 'Done', status: 'done' });

    expect(task.completedAt).toBe(START.toISOString());
  });

  it('logs task.created with the created task in data.task', async () => {
    const { member, workspaceId, projectId } = await team();

    const task = await member.api.tasks.create({ projectId, title: 'Logged', labels: ['a'] });

    const entries = await activityOf(workspaceId);
    expect(entries.at(-1)).toEqual({
      type: 'task.created',
      project_id: projectId,
      task_id: task.id,
      actor_id: member.user.id,
      api_token_id: null,
      data: { task },
      created_at: START.toISOString(),
    });
  });

  it('numbers tasks per project: another project starts at 1 again', async () => {
    const { owner, member, workspaceId, projectId } = await team();
    const ops = await owner.api.projects.create({ workspaceId, name: 'Ops', key: 'OPS' });

    const first = await member.api.tasks.create({ projectId, title: 'One' });
    const second = await member.api.tasks.create({ projectId, title: 'Two' });
    const other = await member.api.tasks.create({ projectId: ops.id, title: 'Elsewhere' });

    expect([first.key, second.key, other.key]).toEqual(['ENG-1', 'ENG-2', 'OPS-1']);
  });

  it('gives 200 concurrent creates in one project 200 distinct numbers, 1 to 200', async () => {
    const { member, projectId } = await team();

    const tasks = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        member.api.tasks.create({ projectId, title: `Task ${i}` }),
      ),
    );

    const numbers = tasks.map((task) => task.number).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(await nextNumber(projectId)).toBe(201);
  });

  it('refuses an assignee who is not a member (400 on assigneeId) and uses up no number', async () => {
    const { member, outsider, workspaceId, projectId } = await team();

    const error = await rejection(
      member.api.tasks.create({ projectId, title: 'Nope', assigneeId: outsider.user.id }),
    );

    expect(error.code).toBe('BAD_REQUEST');
    expect(fieldErrorsOf(error.cause)).toEqual({
      assigneeId: ['Must be a member of this workspace'],
    });
    expect(await nextNumber(projectId)).toBe(1);
    expect((await activityOf(workspaceId)).map((entry) => entry.type)).toEqual(['project.created']);
  });

  it('refuses new tasks in an archived project with CONFLICT', async () => {
    const { owner, member, workspaceId, projectId } = await team();
    await owner.api.projects.archive({ projectId });

    const error = await rejection(member.api.tasks.create({ projectId, title: 'Too late' }));

    expect([error.code, error.message]).toEqual([
      'CONFLICT',
      'Project ENG is archived and takes no new tasks',
    ]);
    expect(await harness.db.selectFrom('tasks').select('id').execute()).toEqual([]);
    expect(await nextNumber(projectId)).toBe(1);
    expect((await activityOf(workspaceId)).map((entry) => entry.type)).toEqual([
      'project.created',
      'project.archived',
    ]);
  });

  it('writes the task and its log entry in one transaction: no entry, no task', async () => {
    const { member, projectId } = await team();
    await breakActivity('task.created');

    const error = await rejection(member.api.tasks.create({ projectId, title: 'Unlogged' }));

    expect(error.code).toBe('INTERNAL_SERVER_ERROR');
    expect(await harness.db.selectFrom('tasks').select('id').execute()).toEqual([]);
    expect(await harness.db.selectFrom('task_labels').select('label').execute()).toEqual([]);
    expect(await nextNumber(projectId)).toBe(1);
  });

  it.each([
    ['an empty title', { title: '' }, 'title'],
    ['a title of spaces', { title: '   ' }, 'title'],
    ['a 201-character title', { title: 'x'.repeat(201) }, 'title'],
    ['a title with a newline', { title: 'two\nlines' }, 'title'],
    ['a title with a tab', { title: 'a\tb' }, 'title'],
    ['a title with a line separator', { title: 'a\u2028b' }, 'title'],
    ['a 20,001-character description', { description: 'x'.repeat(20_001) }, 'description'],
    ['a description with a lone surrogate', { description: 'bad \uD800 half' }, 'description'],
    ['a description with a NUL', { description: 'bad \u0000 byte' }, 'description'],
    ['an unknown status', { status: 'open' }, 'status'],
    ['priority 5', { priority: 5 }, 'priority'],
    ['priority -1', { priority: -1 }, 'priority'],
    ['priority 1.5', { priority: 1.5 }, 'priority'],
    ['21 labels', { labels: Array.from({ length: 21 }, (_, i) => `l${i}`) }, 'labels'],
    ['an empty label', { labels: ['ok', '  '] }, 'labels.1'],
    ['a 41-character label', { labels: ['x'.repeat(41)] }, 'labels.0'],
    ['a date without a time as due date', { dueAt: '2030-07-01' }, 'dueAt'],
    ['an impossible due date', { dueAt: '2030-02-30T00:00:00Z' }, 'dueAt'],
    ['an unknown key', { estimate: 3 }, 'estimate'],
  ])('refuses %s with a field error', async (_, fields, field) => {
    const { member, projectId } = await team();
    // The cast lets deliberately invalid input through the compiler.
    const input = { projectId, title: 'Valid', ...fields } as { projectId: string; title: string };

    const error = await rejection(member.api.tasks.create(input));

    expect(error.code).toBe('BAD_REQUEST');
    expect(Object.keys(fieldErrorsOf(error.cause) ?? {})).toEqual([field]);
    expect(await nextNumber(projectId)).toBe(1);
  });

  it('accepts the bounds: a 200-character title, 20,000-character description, 20 labels of 40', async () => {
    const { member, projectId } = await team();
    const labels = Array.from({ length: 20 }, (_, i) => `${i}`.padStart(40, 'x'));

    const task = await member.api.tasks.create({
      projectId,
      title: 't'.repeat(200),
      description: 'd'.repeat(20_000),
      labels,
    });

    expect([task.title.length, task.description.length, task.labels]).toEqual([
      200,
      20_000,
      [...labels].sort(),
    ]);
  });

  it('is for members: viewers get FORBIDDEN, outsiders NOT_FOUND', async () => {
    const { viewer, outsider, projectId } = await team();

    const byViewer = await rejection(viewer.api.tasks.create({ projectId, title: 'x' }));
    const byOutsider = await rejection(outsider.api.tasks.create({ projectId, title: 'x' }));

    expect([byViewer.code, byOutsider.code]).toEqual(['FORBIDDEN', 'NOT_FOUND']);
    expect(byOutsider.message).toBe('Project not found');
    expect(await nextNumber(projectId)).toBe(1);
  });

  it('refuses read tokens (FORBIDDEN) and lets write tokens create on their creator’s behalf', async () => {
    const { owner, workspaceId, projectId } = await team();
    const reader = await apiToken(owner, workspaceId, 'read');
    const writer = await apiToken(owner, workspaceId, 'write');

    const refused = await rejection(reader.api.tasks.create({ projectId, title: 'Read only' }));
    const task = await writer.api.tasks.create({ projectId, title: 'From the bot' });

    expect(refused.code).toBe('FORBIDDEN');
    expect(task).toMatchObject({ number: 1, createdBy: owner.user.id });
    expect((await activityOf(workspaceId)).at(-1)).toMatchObject({
      type: 'task.created',
      actor_id: owner.user.id,
      api_token_id: writer.id,
    });
  });
});

describe('tasks.get', () => {
  it('shows a task to viewers and read tokens', async () => {
    const { owner, member, viewer, workspaceId, projectId } = await team();
    const task = await member.api.tasks.create({ projectId, title: 'Visible' });
    const reader = await apiToken(owner, workspaceId, 'read');

    expect(await viewer.api.tasks.get({ taskId: task.id })).toEqual(task);
    expect(await reader.api.tasks.get({ taskId: task.id })).toEqual(task);
  });

  it('refuses an ID holding NUL or another control character as a field error', async () => {
    // PostgreSQL refuses NUL even as a query parameter: without this it would be a 500 there
    // and a NOT_FOUND on SQLite.
    const { member } = await team();
    for (const taskId of ['a\u0000b', '\u0000', 'tab\there']) {
      const error = await rejection(member.api.tasks.get({ taskId }));
      expect(error.code, taskId).toBe('BAD_REQUEST');
      expect(Object.keys(fieldErrorsOf(error.cause) ?? {})).toEqual(['taskId']);
    }
  });

  it('is NOT_FOUND for a task of another workspace, for people and tokens alike', async () => {
    const { member, projectId } = await team();
    const task = await member.api.tasks.create({ projectId, title: 'Private' });
    const stranger = await harness.signUpUser('Sam Stranger');
    const theirs = await stranger.api.workspaces.create({ name: 'Theirs', slug: 'theirs' });
    const theirToken = await apiToken(stranger, theirs.id, 'write');

    const byPerson = await rejection(stranger.api.tasks.get({ taskId: task.id }));
    const byToken = await rejection(theirToken.api.tasks.get({ taskId: task.id }));
    const unknown = await rejection(member.api.tasks.get({ taskId: newId() }));

    for (const error of [byPerson, byToken, unknown]) {
      expect([error.code, error.message]).toEqual(['NOT_FOUND', 'Task not found']);
    }
  });
});

describe('tasks.update', () => {
  it('applies the patch, bumps the version and logs the changed fields before → after', async () => {
    const { member, viewer, workspaceId, projectId } = await team();
    const task = await member.api.tasks.create({
      projectId,
      title: 'Draft',
      description: 'Same',
      labels: ['bug'],
    });
    clock.advance(MINUTE_MS);

    const updated = await member.api.tasks.update({
      taskId: task.id,
      expectedVersion: 1,
      patch: {
        title: ' Final ',
        description: 'Same',
        status: 'in_progress',
        priority: 2,
        assigneeId: viewer.user.id,
        labels: ['ui', 'bug', 'ui'],
        dueAt: '2030-07-01T00:00:00Z',
      },
    });

    expect(updated).toEqual({
      ...task,
      title: 'Final',
      status: 'in_progress',
      priority: 2,
      assigneeId: viewer.user.id,
      labels: ['bug', 'ui'],
      dueAt: '2030-07-01T00:00:00.000Z',
      version: 2,
      updatedAt: at(1),
    });
    expect(await member.api.tasks.get({ taskId: task.id })).toEqual(updated);
    expect((await activityOf(workspaceId)).at(-1)).toEqual({
      type: 'task.updated',
      project_id: projectId,
      task_id: task.id,
      actor_id: member.user.id,
      api_token_id: null,
      data: {
        changes: {
          title: { from: 'Draft', to: 'Final' },
          status: { from: 'todo', to: 'in_progress' },
          priority: { from: 0, to: 2 },
          assigneeId: { from: null, to: viewer.user.id },
          labels: { from: ['bug'], to: ['bug', 'ui'] },
          dueAt: { from: null, to: '2030-07-01T00:00:00.000Z' },
        },
        task: updated,
      },
      created_at: at(1),
    });
  });

  it('unassigns, clears the due date and empties the labels with null and []', async () => {
    const { member, projectId } = await team();
    const task = await member.api.tasks.create({
      projectId,
      title: 'Busy',
      assigneeId: member.user.id,
      dueAt: '2030-07-01T00:00:00Z',
      labels: ['a', 'b'],
    });

    const updated = await member.api.tasks.update({
      taskId: task.id,
      expectedVersion: 1,
      patch: { assigneeId: null, dueAt: null, labels: [] },
    });

    expect(updated).toMatchObject({ assigneeId: null, dueAt: null, labels: [], version: 2 });
    expect(await storedTask(task.id)).toMatchObject({
      assignee_id: null,
      due_at: null,
      labels: [],
    });
  });

  it('sets completedAt when the task becomes done and clears it when it leaves done', async () => {
    const { member, projectId } = await team();
    const task = await member.api.tasks.create({ projectId, title: 'Work' });
    clock.advance(MINUTE_MS);
    const done = await member.api.tasks.update({
      taskId: task.id,
      expectedVersion: 1,
      patch: { status: 'done' },
    });
    clock.advance(MINUTE_MS);
    const retitled = await member.api.tasks.update({
      taskId: task.id,
      expectedVersion: 2,
      patch: { title: 'Work, done' },
    });
    const reopened = await member.api.tasks.update({
      taskId: task.id,
      expectedVersion: 3,
      patch: { status: 'canceled' },
    });

    expect(done.completedAt).toBe(at(1));
    expect(retitled.completedAt).toBe(at(1));
    expect(reopened.completedAt).toBeNull();
  });

  it('refuses a stale expectedVersion with CONFLICT and writes nothing', async () => {
    const { member, workspaceId, projectId } = await team();
    const task = await member.api.tasks.create({ projectId, title: 'Original', labels: ['a'] });
    clock.advance(MINUTE_MS);
    const current = await member.api.tasks.update({
      taskId: task.id,
      expectedVersion: 1,
      patch: { title: 'Edited by Mia' },
    });
    const rowBefore = await storedTask(task.id);
    const logBefore = await activityOf(workspaceId);
    clock.advance(MINUTE_MS);

    const error = await rejection(
      member.api.tasks.update({
        taskId: task.id,
        expectedVersion: 1,
        patch: { title: 'Stale edit', labels: ['b'], status: 'done' },
      }),
    );

    expect([error.code, error.message]).toEqual([
      'CONFLICT',
      'Task ENG-1 was changed by someone else since version 1; reload it and try again',
    ]);
    expect(await storedTask(task.id)).toEqual(rowBefore);
    expect(rowBefore).toMatchObject({
      title: 'Edited by Mia',
      version: 2,
      labels: ['a'],
      updated_at: at(1),
    });
    expect(await activityOf(workspaceId)).toEqual(logBefore);
    expect(await member.api.tasks.get({ taskId: task.id })).toEqual(current);
  });

  it('lets exactly one of two concurrent edits of the same version win', async () => {
    const { owner, member, projectId } = await team();
    const task = await member.api.tasks.create({ projectId, title: 'Contested' });

    const outcomes = await Promise.allSettled([
      member.api.tasks.update({ taskId: task.id, expectedVersion: 1, patch: { title: 'Mia' } }),
      owner.api.tasks.update({ taskId: task.id, expectedVersion: 1, patch: { title: 'Olive' } }),
    ]);

    const won = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome] : []));
    const lost = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome] : []));
    expect([won.length, lost.length]).toEqual([1, 1]);
    expect(lost[0]?.reason).toMatchObject({ code: 'CONFLICT' });
    const stored = await storedTask(task.id);
    expect(stored).toMatchObject({ version: 2, title: won[0]?.value.title });
  });

  it('refuses an empty patch with a field error on patch', async () => {
    const { member, projectId } = await team();
    const task = await member.api.tasks.create({ projectId, title: 'Untouched' });

    const error = await rejection(
      member.api.tasks.update({ taskId: task.id, expectedVersion: 1, patch: {} }),
    );

    expect(error.code).toBe('BAD_REQUEST');
    expect(fieldErrorsOf(error.cause)).toEqual({ patch: ['Nothing to change'] });
  });

  it('returns the task unchanged for a patch that changes nothing: no new version, no log', async () => {
    const { member, workspaceId, projectId } = await team();
    const task = await member.api.tasks.create({ projectId, title: 'Same', labels: ['b', 'a'] });
    clock.advance(MINUTE_MS);

    const same = await member.api.tasks.update({
      taskId: task.id,
      expectedVersion: 1,
      patch: { title: 'Same ', labels: ['a', 'b', 'a'], status: 'todo', assigneeId: null },
    });

    expect(same).toEqual(task);
    expect(await taskEvents(workspaceId, task.id)).toEqual(['task.created']);
  });

  it('still checks the version of a patch that changes nothing', async () => {
    const { member, projectId } = await team();
    const task = await member.api.tasks.create({ projectId, title: 'Same' });
    await member.api.tasks.update({ taskId: task.id, expectedVersion: 1, patch: { priority: 1 } });

    const error = await rejection(
      member.api.tasks.update({ taskId: task.id, expectedVersion: 1, patch: { priority: 1 } }),
    );

    expect(error.code).toBe('CONFLICT');
  });

  it('refuses a non-member assignee (400 on patch.assigneeId) and writes nothing', async () => {
    const { member, outsider, workspaceId, projectId } = await team();
    const task = await member.api.tasks.create({ projectId, title: 'Keep' });
    const rowBefore = await storedTask(task.id);

    const error = await rejection(
      member.api.tasks.update({
        taskId: task.id,
        expectedVersion: 1,
        patch: { title: 'Changed', assigneeId: outsider.user.id },
      }),
    );

    expect(error.code).toBe('BAD_REQUEST');
    expect(fieldErrorsOf(error.cause)).toEqual({
      'patch.assigneeId': ['Must be a member of this workspace'],
    });
    expect(await storedTask(task.id)).toEqual(rowBefore);
    expect(await taskEvents(workspaceId, task.id)).toEqual(['task.created']);
  });

  it('keeps working on a task whose assignee has left, as long as the patch keeps the assignee', async () => {
    const { owner, member, workspaceId, projectId } = await team();
    const leaver = await harness.signUpUser('Lee Leaver');
    await harness.addMember(workspaceId, leaver.user.id, 'member');
    const task = await member.api.tasks.create({
      projectId,
      title: 'Orphan',
      assigneeId: leaver.user.id,
    });
    await owner.api.members.remove({ workspaceId, userId: leaver.user.id });

    const updated = await member.api.tasks.update({
      taskId: task.id,
      expectedVersion: 1,
      patch: { title: 'Orphan, renamed', assigneeId: leaver.user.id },
    });

    expect(updated).toMatchObject({ title: 'Orphan, renamed', assigneeId: leaver.user.id });
  });

  it('writes the change and its log entry in one transaction: no entry, no change', async () => {
    const { member, projectId } = await team();
    const task = await member.api.tasks.create({ projectId, title: 'Before', labels: ['a'] });
    const rowBefore = await storedTask(task.id);
    await breakActivity('task.updated');

    const error = await rejection(
      member.api.tasks.update({
        taskId: task.id,
        expectedVersion: 1,
        patch: { title: 'After', labels: ['b'], status: 'done' },
      }),
    );

    expect(error.code).toBe('INTERNAL_SERVER_ERROR');
    expect(await storedTask(task.id)).toEqual(rowBefore);
  });

  it('is for members: viewers and read tokens get FORBIDDEN, other workspaces NOT_FOUND', async () => {
    const { owner, member, viewer, outsider, workspaceId, projectId } = await team();
    const task = await member.api.tasks.create({ projectId, title: 'Guarded' });
    const reader = await apiToken(owner, workspaceId, 'read');
    const writer = await apiToken(owner, workspaceId, 'write');
    const input = { taskId: task.id, expectedVersion: 1, patch: { title: 'Hijacked' } };

    const byViewer = await rejection(viewer.api.tasks.update(input));
    const byReader = await rejection(reader.api.tasks.update(input));
    const byOutsider = await rejection(outsider.api.tasks.update(input));
    const byWriter = await writer.api.tasks.update({ ...input, patch: { title: 'By bot' } });

    expect([byViewer.code, byReader.code, byOutsider.code]).toEqual([
      'FORBIDDEN',
      'FORBIDDEN',
      'NOT_FOUND',
    ]);
    expect(byWriter).toMatchObject({ title: 'By bot', version: 2 });
  });
});

describe('tasks.delete', () => {
  it('deletes the task with its labels and comments, logging it as it was', async () => {
    const { member, workspaceId, projectId } = await team();
    const task = await member.api.tasks.create({ projectId, title: 'Doomed', labels: ['x'] });
    await harness.db
      .insertInto('comments')
      .values({
        id: newId(),
        workspace_id: workspaceId,
        task_id: task.id,
        author_id: member.user.id,
        body: 'Last words',
        created_at: START.toISOString(),
        updated_at: START.toISOString(),
      })
      .execute();
    clock.advance(MINUTE_MS);

    const result = await member.api.tasks.delete({ taskId: task.id });

    expect(result).toEqual({ ok: true });
    expect(await storedTask(task.id)).toBeUndefined();
    expect(await harness.db.selectFrom('task_labels').select('label').execute()).toEqual([]);
    expect(await harness.db.selectFrom('comments').select('id').execute()).toEqual([]);
    expect((await rejection(member.api.tasks.get({ taskId: task.id }))).code).toBe('NOT_FOUND');
    expect((await activityOf(workspaceId)).at(-1)).toEqual({
      type: 'task.deleted',
      project_id: projectId,
      task_id: task.id,
      actor_id: member.user.id,
      api_token_id: null,
      data: { task },
      created_at: at(1),
    });
  });

  it('is NOT_FOUND the second time', async () => {
    const { member, projectId } = await team();
    const task = await member.api.tasks.create({ projectId, title: 'Once' });
    await member.api.tasks.delete({ taskId: task.id });

    const error = await rejection(member.api.tasks.delete({ taskId: task.id }));

    expect(error.code).toBe('NOT_FOUND');
  });

  it('deletes the task and logs it in one transaction: no entry, no deletion', async () => {
    const { member, projectId } = await team();
    const task = await member.api.tasks.create({ projectId, title: 'Survivor', labels: ['s'] });
    await breakActivity('task.deleted');

    const error = await rejection(member.api.tasks.delete({ taskId: task.id }));

    expect(error.code).toBe('INTERNAL_SERVER_ERROR');
    expect(await member.api.tasks.get({ taskId: task.id })).toEqual(task);
  });

  it('is for members: viewers and read tokens get FORBIDDEN, other workspaces NOT_FOUND', async () => {
    const { owner, member, viewer, outsider, workspaceId, projectId } = await team();
    const task = await member.api.tasks.create({ projectId, title: 'Guarded' });
    const reader = await apiToken(owner, workspaceId, 'read');

    const byViewer = await rejection(viewer.api.tasks.delete({ taskId: task.id }));
    const byReader = await rejection(reader.api.tasks.delete({ taskId: task.id }));
    const byOutsider = await rejection(outsider.api.tasks.delete({ taskId: task.id }));

    expect([byViewer.code, byReader.code, byOutsider.code]).toEqual([
      'FORBIDDEN',
      'FORBIDDEN',
      'NOT_FOUND',
    ]);
    expect(await member.api.tasks.get({ taskId: task.id })).toEqual(task);
  });
});
