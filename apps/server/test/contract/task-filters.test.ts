// The black-box contract of docs/api.md (../../../../docs/api.md) for tasks.list's newer
// filters: dueBefore / dueAfter, updatedSince, createdBy, several assignees and several
// labels (any or all), over tRPC and over REST (repeated query parameters). Each answer is
// checked against the tasks' own fields as the server reported them.
import { beforeAll, describe, expect, it } from 'vitest';
import { accountsOn, type Team } from '../support/accounts.js';
import { serveThisFile } from '../support/http.js';
import { expectRestError, restOn } from '../support/rest.js';
import {
  dataOf,
  expectError,
  expectFieldErrors,
  type Project,
  type Task,
  type TaskPage,
} from '../support/wire.js';
import { ids, workOn } from '../support/work.js';

const wire = serveThisFile();
const { mutate } = wire;
const { rest } = restOn(wire);
const { makeTeam } = accountsOn(wire);
const { createProject, createTask, listTasks, walkTasks } = workOn(wire);

describe('tasks.list newer filters', () => {
  let team: Team;
  let project: Project;
  let tasks: Task[];

  beforeAll(async () => {
    team = await makeTeam();
    project = await createProject(team.admin.token, team.workspaceId, 'FLT');
    const { member, colleague } = team;
    const specs = [
      [member, { dueAt: '2030-05-01T10:00:00.000Z', assigneeId: member.user.id, labels: ['bug'] }],
      [
        member,
        { dueAt: '2030-05-02T10:00:00.000Z', assigneeId: colleague.user.id, labels: ['bug', 'ui'] },
      ],
      [colleague, { dueAt: '2030-05-03T10:00:00.000Z', assigneeId: null, labels: ['ui'] }],
      [colleague, { dueAt: null, assigneeId: member.user.id, labels: ['bug', 'ui', 'api'] }],
      [member, { dueAt: '2030-05-02T09:59:59.999Z', assigneeId: null, labels: [] }],
      [colleague, { dueAt: null, assigneeId: colleague.user.id, labels: ['api'] }],
    ] as const;
    tasks = [];
    for (const [who, fields] of specs) {
      tasks.push(
        await createTask(who.token, project.id, { ...fields, labels: [...fields.labels] }),
      );
    }
    // A later change: updatedSince tells these apart from the rest.
    for (const task of [tasks[0], tasks[2]]) {
      const updated = await mutate(
        'tasks.update',
        { taskId: task?.id, expectedVersion: 1, patch: { priority: 3 } },
        { token: member.token },
      );
      tasks[tasks.indexOf(task as Task)] = dataOf<Task>(updated);
    }
  });

  /** Every matching id of the project, walked 2 at a time (so cursors carry the filters). */
  async function listed(filters: Record<string, unknown>): Promise<string[]> {
    const input = { workspaceId: team.workspaceId, projectId: project.id, ...filters };
    return (await walkTasks(team.member.token, input, 2)).ids.sort();
  }
  const expected = (keep: (task: Task) => boolean) => {
    const kept = ids(tasks.filter(keep)).sort();
    // A filter that keeps all or none would prove nothing.
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(tasks.length);
    return kept;
  };

  it('dueBefore is strictly before, dueAfter at or after, in UTC; undated tasks never match', async () => {
    // 12:00 at +02:00 is 10:00Z: the task due at exactly 10:00Z is "after", not "before".
    const instant = '2030-05-02T12:00:00+02:00';
    const utc = Date.parse(instant);
    const due = (task: Task) => (task.dueAt === null ? null : Date.parse(task.dueAt));
    expect(await listed({ dueBefore: instant })).toEqual(
      expected((task) => due(task) !== null && (due(task) ?? 0) < utc),
    );
    expect(await listed({ dueAfter: instant })).toEqual(
      expected((task) => due(task) !== null && (due(task) ?? 0) >= utc),
    );
    const range = { dueAfter: '2030-05-01T10:00:00Z', dueBefore: '2030-05-03T10:00:00Z' };
    expect(await listed({ ...range, sort: 'due', order: 'asc' })).toEqual(
      expected(
        (task) =>
          task.dueAt !== null &&
          task.dueAt >= '2030-05-01T10:00:00.000Z' &&
          task.dueAt < '2030-05-03T10:00:00.000Z',
      ),
    );
    // In list order too: the range under the due sort comes from the due index.
    const page = dataOf<TaskPage>(
      await listTasks(team.member.token, {
        workspaceId: team.workspaceId,
        projectId: project.id,
        ...range,
        sort: 'due',
        order: 'desc',
      }),
    );
    expect(page.items.map((task) => task.dueAt)).toEqual([
      '2030-05-02T10:00:00.000Z',
      '2030-05-02T09:59:59.999Z',
      '2030-05-01T10:00:00.000Z',
    ]);
  });

  it('updatedSince keeps tasks updated at or after the instant', async () => {
    const since = tasks[2]?.updatedAt ?? '';
    expect(await listed({ updatedSince: since })).toEqual(
      expected((task) => task.updatedAt >= since),
    );
  });

  it('createdBy keeps what one member created', async () => {
    const by = team.colleague.user.id;
    expect(await listed({ createdBy: by })).toEqual(expected((task) => task.createdBy === by));
  });

  it('assigneeId takes one id, null, or a list of ids that may hold null', async () => {
    const { member, colleague } = team;
    const among = (wanted: (string | null)[]) => (task: Task) => wanted.includes(task.assigneeId);
    expect(await listed({ assigneeId: member.user.id })).toEqual(expected(among([member.user.id])));
    expect(await listed({ assigneeId: null })).toEqual(expected(among([null])));
    const both = [member.user.id, colleague.user.id];
    expect(await listed({ assigneeId: both })).toEqual(expected(among(both)));
    expect(await listed({ assigneeId: [colleague.user.id, null] })).toEqual(
      expected(among([colleague.user.id, null])),
    );
  });

  it('label takes one label or a list, matching any of them unless labelMatch is all', async () => {
    const has = (task: Task, label: string) => task.labels.includes(label);
    expect(await listed({ label: 'api' })).toEqual(expected((task) => has(task, 'api')));
    expect(await listed({ label: ['bug', 'api'] })).toEqual(
      expected((task) => has(task, 'bug') || has(task, 'api')),
    );
    expect(await listed({ label: ['bug', 'ui'], labelMatch: 'all' })).toEqual(
      expected((task) => has(task, 'bug') && has(task, 'ui')),
    );
    expect(await listed({ label: ['api'], labelMatch: 'all' })).toEqual(
      await listed({ label: 'api' }),
    );
  });

  it('combines the filters with AND', async () => {
    const since = tasks[0]?.updatedAt ?? '';
    const filters = {
      label: ['bug', 'ui'],
      assigneeId: [team.member.user.id, null],
      createdBy: team.member.user.id,
      updatedSince: since,
    };
    expect(await listed(filters)).toEqual(
      expected(
        (task) =>
          (task.labels.includes('bug') || task.labels.includes('ui')) &&
          (task.assigneeId === team.member.user.id || task.assigneeId === null) &&
          task.createdBy === team.member.user.id &&
          task.updatedAt >= since,
      ),
    );
  });

  it('REST takes lists as repeated parameters, `none` for an unassigned entry', async () => {
    const path = `/workspaces/${team.workspaceId}/tasks`;
    const get = async (query: Record<string, string | string[]>) => {
      const reply = await rest('GET', path, {
        token: team.member.token,
        query: { projectId: project.id, limit: '100', ...query },
      });
      expect(reply.status, reply.text.slice(0, 300)).toBe(200);
      return ids((reply.json as TaskPage).items).sort();
    };
    const { member, colleague } = team;
    expect(await get({ assigneeId: [colleague.user.id, 'none'] })).toEqual(
      await listed({ assigneeId: [colleague.user.id, null] }),
    );
    // One value stays one value: `none` alone still means unassigned.
    expect(await get({ assigneeId: 'none' })).toEqual(await listed({ assigneeId: null }));
    expect(await get({ assigneeId: member.user.id })).toEqual(
      await listed({ assigneeId: member.user.id }),
    );
    expect(await get({ label: ['bug', 'ui'], labelMatch: 'all' })).toEqual(
      await listed({ label: ['bug', 'ui'], labelMatch: 'all' }),
    );
    expect(await get({ label: 'ui' })).toEqual(await listed({ label: 'ui' }));
    expect(
      await get({ dueBefore: '2030-05-02T12:00:00+02:00', createdBy: member.user.id }),
    ).toEqual(await listed({ dueBefore: '2030-05-02T12:00:00+02:00', createdBy: member.user.id }));
    const bad = expectRestError(
      await rest('GET', path, { token: member.token, query: { labelMatch: 'all' } }),
      400,
      'BAD_REQUEST',
    );
    expect(bad.fieldErrors).toEqual({ labelMatch: [expect.any(String)] });
  });

  it('refuses bad filters with 400 naming the field', async () => {
    const base = { workspaceId: team.workspaceId, projectId: project.id };
    const refused = async (filters: Record<string, unknown>, field: string) =>
      expectFieldErrors(await listTasks(team.member.token, { ...base, ...filters }), [field]);
    await refused({ labelMatch: 'all' }, 'labelMatch');
    await refused({ labelMatch: 'some', label: 'bug' }, 'labelMatch');
    await refused({ label: [] }, 'label');
    await refused({ label: ['bug', 'bug'] }, 'label');
    await refused({ label: Array.from({ length: 21 }, (_, i) => `l${i}`) }, 'label');
    await refused({ assigneeId: [] }, 'assigneeId');
    await refused({ assigneeId: [null, null] }, 'assigneeId');
    await refused({ dueBefore: '2030-05-02' }, 'dueBefore');
    await refused({ dueAfter: '2030-05-02T10:00:00' }, 'dueAfter');
    await refused({ updatedSince: 'yesterday' }, 'updatedSince');
    await refused({ createdBy: '' }, 'createdBy');
    // Twenty is the most.
    const twenty = Array.from({ length: 20 }, (_, i) => `l${i}`);
    dataOf(await listTasks(team.member.token, { ...base, label: twenty }));
  });

  it('a cursor is bound to the new filters too', async () => {
    const input = { workspaceId: team.workspaceId, projectId: project.id, limit: 1 };
    const first = dataOf<TaskPage>(
      await listTasks(team.member.token, { ...input, label: ['bug', 'ui'] }),
    );
    expect(first.nextCursor).not.toBeNull();
    const cursor = first.nextCursor;
    // The same set in another order is the same query.
    dataOf(await listTasks(team.member.token, { ...input, label: ['ui', 'bug'], cursor }));
    for (const other of [
      { label: ['bug', 'ui'], labelMatch: 'all' },
      { label: ['bug'] },
      { label: ['bug', 'ui'], createdBy: team.member.user.id },
      { label: ['bug', 'ui'], dueAfter: '2030-01-01T00:00:00Z' },
      { label: ['bug', 'ui'], updatedSince: '2030-01-01T00:00:00Z' },
    ]) {
      const reply = await listTasks(team.member.token, { ...input, ...other, cursor });
      expectError(reply, 400, 'BAD_REQUEST');
    }
  });
});
