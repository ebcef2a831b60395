// tasks.create through the router with a real database: what it stores and logs, who may call it.
import { describe, expect, it } from 'vitest';
import { fieldErrorsOf } from '../errors.js';
import { type Harness, harnessForEachTest, rejection } from '../test/harness.js';
import { asDetail, START, taskFixtures } from '../test/task-fixtures.js';

let harness: Harness;

harnessForEachTest(START, (fresh) => {
  harness = fresh;
});
const { team, apiToken, activityOf, storedTask, nextNumber, breakActivity } = taskFixtures(
  () => harness,
);

describe('tasks.create', () => {
  it('creates task 1 of the project with the documented defaults', async () => {
    const { member, workspaceId, projectId } = await team();

    const task = await member.api.tasks.create({ projectId, title: '  Fix the login page ' });
    const todo = (await member.api.projects.states.list({ projectId })).find(
      (s) => s.name === 'Todo',
    );

    expect(task).toEqual({
      id: expect.any(String),
      workspaceId,
      projectId,
      number: 1,
      key: 'ENG-1',
      title: 'Fix the login page',
      description: '',
      status: 'todo',
      stateId: todo?.id,
      priority: 0,
      assigneeId: null,
      labels: [],
      dueAt: null,
      version: 1,
      createdBy: member.user.id,
      createdAt: START.toISOString(),
      updatedAt: START.toISOString(),
      completedAt: null,
      parentId: null,
    });
    expect(await member.api.tasks.get({ taskId: task.id })).toEqual(asDetail(task));
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
    expect(await owner.api.tasks.get({ taskId: task.id })).toEqual(asDetail(task));
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
