// The black-box contract of docs/api.md (../../../../docs/api.md) for tasks.list: filters, sorts and cursor walks.
// A real server on a loopback port, spoken to over raw HTTP: nothing here loads the API's
// code; the answers' types come from @trellis/client as types only.
import { beforeAll, describe, expect, it } from 'vitest';
import { accountsOn, type Team } from '../support/accounts.js';
import { serveThisFile } from '../support/http.js';
import {
  dataOf,
  expectError,
  expectFieldErrors,
  type Project,
  type Task,
  type TaskPage,
} from '../support/wire.js';
import { expectInOrder, idSet, ids, workOn } from '../support/work.js';

const wire = serveThisFile();
const { mutate } = wire;
const { makeTeam } = accountsOn(wire);
const { createProject, createTask, listTasks, walkTasks } = workOn(wire);

describe('tasks.list', () => {
  let team: Team;
  let alpha: Project;
  let beta: Project;
  /** Six tasks over two projects, by name. */
  const t: Record<'parser' | 'logo' | 'crash' | 'bench' | 'docs' | 'reporter', Task> = {} as Record<
    'parser' | 'logo' | 'crash' | 'bench' | 'docs' | 'reporter',
    Task
  >;
  let all: Task[];

  beforeAll(async () => {
    team = await makeTeam();
    alpha = await createProject(team.admin.token, team.workspaceId, 'ALPHA');
    beta = await createProject(team.admin.token, team.workspaceId, 'BETA');
    const token = team.member.token;
    const member = team.member.user.id;
    t.parser = await createTask(token, alpha.id, {
      title: 'Write the parser',
      status: 'todo',
      priority: 1,
      labels: ['backend'],
      dueAt: '2030-03-01T00:00:00.000Z',
    });
    t.logo = await createTask(token, alpha.id, {
      title: 'Design the logo',
      status: 'in_progress',
      priority: 4,
      assigneeId: member,
      labels: ['design'],
      dueAt: '2030-01-01T00:00:00.000Z',
    });
    t.crash = await createTask(token, alpha.id, {
      title: 'Fix login crash',
      status: 'done',
      priority: 3,
      assigneeId: member,
      labels: ['backend', 'bug'],
    });
    t.bench = await createTask(token, beta.id, {
      title: 'Parser benchmarks',
      status: 'backlog',
      priority: 2,
      dueAt: '2030-02-01T00:00:00.000Z',
    });
    t.docs = await createTask(token, beta.id, {
      title: 'Update docs',
      status: 'canceled',
      priority: 0,
      assigneeId: team.admin.user.id,
    });
    t.reporter = await createTask(token, beta.id, {
      title: 'Crash reporter',
      status: 'todo',
      priority: 4,
      labels: ['bug'],
      dueAt: '2030-02-01T00:00:00.000Z',
    });
    // The most recently updated task is the first one created.
    t.parser = dataOf<Task>(
      await mutate(
        'tasks.update',
        { taskId: t.parser.id, expectedVersion: 1, patch: { description: 'Recursive descent' } },
        { token },
      ),
    );
    all = Object.values(t);
  });

  const page = async (input: Record<string, unknown>) =>
    dataOf<TaskPage>(
      await listTasks(team.member.token, { workspaceId: team.workspaceId, ...input }),
    );

  it('without filters answers every task of the workspace as {items, nextCursor: null}', async () => {
    const result = await page({});

    expect(result.nextCursor).toBeNull();
    expect(result.items).toHaveLength(all.length);
    expect(result.items).toEqual(expect.arrayContaining(all));
  });

  it.each([
    ['projectId', () => ({ projectId: alpha.id }), ['parser', 'logo', 'crash']],
    ['status[]', () => ({ status: ['todo', 'done'] }), ['parser', 'crash', 'reporter']],
    ['assigneeId', () => ({ assigneeId: team.member.user.id }), ['logo', 'crash']],
    ['label', () => ({ label: 'backend' }), ['parser', 'crash']],
    ['q (a title word)', () => ({ q: 'parser' }), ['parser', 'bench']],
    ['q (a word prefix)', () => ({ q: 'cras' }), ['crash', 'reporter']],
    ['q (a description word)', () => ({ q: 'recursive' }), ['parser']],
    [
      'projectId + status + label',
      () => ({ projectId: alpha.id, status: ['todo', 'in_progress'], label: 'backend' }),
      ['parser'],
    ],
    ['a label nobody uses', () => ({ label: 'nope' }), []],
  ] satisfies [string, () => Record<string, unknown>, (keyof typeof t)[]][])(
    'filters by %s',
    async (_label, input, expected) => {
      const result = await page(input());

      expect(new Set(ids(result.items))).toEqual(new Set(expected.map((name) => t[name].id)));
      expect(result.items).toHaveLength(expected.length);
      expect(result.nextCursor).toBeNull();
    },
  );

  it.each([
    ['created', 'createdAt'],
    ['updated', 'updatedAt'],
    ['priority', 'priority'],
  ] as const)('sorts by %s in both orders', async (sort, field) => {
    for (const order of ['asc', 'desc'] as const) {
      const result = await page({ sort, order });

      expect(idSet(result.items)).toEqual(idSet(all));
      expectInOrder(
        result.items.map((task) => task[field]),
        order,
      );
    }
  });

  it('sorts by updated desc with the last-updated task first', async () => {
    const result = await page({ sort: 'updated', order: 'desc' });

    expect(result.items[0]?.id).toBe(t.parser.id);
  });

  it('sorts by due in both orders, tasks without a due date last', async () => {
    for (const order of ['asc', 'desc'] as const) {
      const result = await page({ sort: 'due', order });

      expect(idSet(result.items)).toEqual(idSet(all));
      const dues = result.items.map((task) => task.dueAt);
      const dated = dues.filter((due): due is string => due !== null);
      expect(dues.slice(dated.length)).toEqual([null, null]);
      expectInOrder(dated, order);
    }
  });

  it.each([
    ['limit 101', { limit: 101 }, 'limit'],
    ['limit 0', { limit: 0 }, 'limit'],
    ['an unknown sort', { sort: 'title' }, 'sort'],
    ['an unknown order', { order: 'sideways' }, 'order'],
    ['an unknown status', { status: ['blocked'] }, 'status.0'],
    ['a garbage cursor', { cursor: 'garbage' }, 'cursor'],
    [
      'a cursor of base64 garbage',
      { cursor: Buffer.from('{"x":1}').toString('base64url') },
      'cursor',
    ],
    ['an unknown key', { color: 'red' }, 'color'],
  ] satisfies [string, Record<string, unknown>, string][])(
    'refuses %s with 400 and data.fieldErrors naming it',
    async (_label, input, field) => {
      expectFieldErrors(
        await listTasks(team.member.token, { workspaceId: team.workspaceId, ...input }),
        [field],
      );
    },
  );

  it('accepts limit 100', async () => {
    expect((await page({ limit: 100 })).items).toHaveLength(all.length);
  });

  it('answers an outsider 404, and a project of another workspace 404', async () => {
    expectError(
      await listTasks(team.outsider.token, { workspaceId: team.workspaceId }),
      404,
      'NOT_FOUND',
    );
    const foreign = await createProject(team.outsider.token, team.outsiderWorkspaceId, 'FOR');
    expectError(
      await listTasks(team.member.token, { workspaceId: team.workspaceId, projectId: foreign.id }),
      404,
      'NOT_FOUND',
    );
  });

  describe('cursor walks', () => {
    let walk: Project;
    let walkTasksCreated: Task[];
    beforeAll(async () => {
      walk = await createProject(team.admin.token, team.workspaceId, 'WALK');
      // Ties on every sort key, so that pages have to break them.
      walkTasksCreated = await Promise.all(
        Array.from({ length: 23 }, (_, i) =>
          createTask(team.member.token, walk.id, {
            title: `Walker ${i}`,
            priority: i % 3,
            ...(i % 4 === 0 ? {} : { dueAt: `2031-0${1 + (i % 3)}-01T00:00:00.000Z` }),
          }),
        ),
      );
    });

    it.each([
      ['created', 'desc'],
      ['created', 'asc'],
      ['updated', 'desc'],
      ['updated', 'asc'],
      ['priority', 'desc'],
      ['priority', 'asc'],
      ['due', 'desc'],
      ['due', 'asc'],
    ] as const)(
      'walks sort %s %s in pages of 5: every task once, in the one-page order, nextCursor null at the end',
      async (sort, order) => {
        const input = { workspaceId: team.workspaceId, projectId: walk.id, sort, order };
        const onePage = dataOf<TaskPage>(
          await listTasks(team.member.token, { ...input, limit: 100 }),
        );

        const walked = await walkTasks(team.member.token, input, 5);

        expect(walked.pages).toBe(5);
        expect(new Set(walked.ids).size).toBe(23);
        expect(new Set(walked.ids)).toEqual(idSet(walkTasksCreated));
        expect(walked.ids).toEqual(ids(onePage.items));
      },
    );

    it('walks a filtered query (status and label) across pages', async () => {
      const labelled = await createProject(team.admin.token, team.workspaceId, 'LBL');
      const created = await Promise.all(
        Array.from({ length: 9 }, (_, i) =>
          createTask(team.member.token, labelled.id, {
            status: i % 2 === 0 ? 'todo' : 'done',
            labels: i % 3 === 0 ? ['other'] : ['wanted'],
          }),
        ),
      );
      const expected = created.filter(
        (task) => task.status === 'todo' && task.labels.includes('wanted'),
      );

      const walked = await walkTasks(
        team.member.token,
        {
          workspaceId: team.workspaceId,
          projectId: labelled.id,
          status: ['todo'],
          label: 'wanted',
        },
        2,
      );

      expect(walked.ids).toHaveLength(expected.length);
      expect(new Set(walked.ids)).toEqual(idSet(expected));
    });

    it.each(['asc', 'desc'] as const)(
      'a created %s walk sees each original task exactly once while tasks are inserted between pages',
      async (order) => {
        const busy = await createProject(
          team.admin.token,
          team.workspaceId,
          order === 'asc' ? 'BUSYA' : 'BUSYD',
        );
        const originals = await Promise.all(
          Array.from({ length: 12 }, () => createTask(team.member.token, busy.id)),
        );

        const walked = await walkTasks(
          team.member.token,
          { workspaceId: team.workspaceId, projectId: busy.id, sort: 'created', order },
          4,
          async () => {
            await createTask(team.colleague.token, busy.id);
            await createTask(team.colleague.token, busy.id);
          },
        );

        expect(new Set(walked.ids).size).toBe(walked.ids.length);
        const originalIds = idSet(originals);
        expect(walked.ids.filter((id) => originalIds.has(id)).sort()).toEqual(
          [...originalIds].sort(),
        );
      },
    );
  });
});
