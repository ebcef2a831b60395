// The black-box contract of docs/api.md (../../../../docs/api.md) for tasks: create, get, update and delete; fields, versions and numbering.
// A real server on a loopback port, spoken to over raw HTTP: nothing here loads the API's
// code; the answers' types come from @trellis/client as types only.
import { beforeAll, describe, expect, it } from 'vitest';
import { accountsOn, type Team } from '../support/accounts.js';
import { serveThisFile } from '../support/http.js';
import {
  dataOf,
  expectError,
  expectFieldErrors,
  ISO_INSTANT,
  type Project,
  type Task,
  type TaskPage,
} from '../support/wire.js';
import { workOn } from '../support/work.js';

const wire = serveThisFile();
const { query, mutate } = wire;
const { makeTeam } = accountsOn(wire);
const { createProject, createTask, getTask, listTasks } = workOn(wire);

/** What tasks.get answers for `task`, a top-level task without sub-tasks. */
const asDetail = <T extends object>(task: T) => ({
  ...task,
  parent: null,
  children: { total: 0, done: 0 },
  relations: { blocks: [], blockedBy: [], relates: [], duplicates: [], duplicatedBy: [] },
  mentions: [],
  // Who watches: test/contract/mentions.test.ts.
  watcherIds: expect.any(Array),
});

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
      // The project's In Progress state (one state per status in a new project).
      stateId: expect.any(String),
      priority: 3,
      assigneeId: team.colleague.user.id,
      labels: ['bug', 'ui'],
      dueAt: '2030-01-02T03:04:05.000Z',
      version: 1,
      createdBy: team.member.user.id,
      createdAt: expect.stringMatching(ISO_INSTANT),
      updatedAt: first.createdAt,
      completedAt: null,
      parentId: null,
    });
    expect(first.number).toBe(1);
    const states = dataOf<{ id: string; category: string }[]>(
      await query('projects.states.list', { projectId: project.id }, { token: team.member.token }),
    );
    expect(first.stateId).toBe(states.find((state) => state.category === 'started')?.id);
    expect(second.stateId).toBe(states.find((state) => state.category === 'unstarted')?.id);
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
      const page = dataOf<TaskPage>(
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

    expect(await getTask(team.colleague.token, task.id)).toEqual(asDetail(task));
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
      stateId: expect.any(String),
      priority: 2,
      version: 2,
      updatedAt: expect.stringMatching(ISO_INSTANT),
      completedAt: expect.stringMatching(ISO_INSTANT),
    });
    expect(updated.updatedAt >= task.updatedAt).toBe(true);
    expect(await getTask(team.member.token, task.id)).toEqual(asDetail(updated));
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
    expect(await getTask(team.member.token, task.id)).toEqual(asDetail(v2));
    expectError(
      await mutate(
        'tasks.update',
        { taskId: task.id, expectedVersion: 3, patch: { title: 'From the future' } },
        { token: team.colleague.token },
      ),
      409,
      'CONFLICT',
    );
    expect(await getTask(team.member.token, task.id)).toEqual(asDetail(v2));
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
    expect(await getTask(team.member.token, task.id)).toEqual(asDetail(task));
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

    expect(await getTask(team.outsider.token, foreign.id)).toEqual(asDetail(foreign));
  });

  it('refuses an assignee who is not a member with 400 and data.fieldErrors.assigneeId', async () => {
    const reply = await mutate(
      'tasks.create',
      { projectId: project.id, title: 'Outsourced', assigneeId: team.outsider.user.id },
      { token: team.member.token },
    );

    expectFieldErrors(reply, ['assigneeId']);
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
    const listed = dataOf<TaskPage>(
      await listTasks(team.member.token, { workspaceId: team.workspaceId, projectId: race.id }),
    );
    expect(listed.items.map((task) => task.number).sort((a, b) => a - b)).toEqual(
      [...numbers].sort((a, b) => a - b),
    );
  });
});
