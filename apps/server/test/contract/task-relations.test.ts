// The black-box contract of docs/api.md (../../../../docs/api.md) for task relations:
// tasks.relations.add / remove, the rules they keep, the blocked filter and their events.
// A real server on a loopback port, spoken to over raw HTTP (tRPC and REST): nothing here
// loads the API's code; the answers' types come from @trellis/client as types only.
import type { RouterOutputs } from '@trellis/client';
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
} from '../support/wire.js';
import { ids, workOn } from '../support/work.js';

type Relations = RouterOutputs['tasks']['relations']['add'];
type EventPage = RouterOutputs['events']['list'];
type RelationType = 'blocks' | 'relates' | 'duplicates';

const wire = serveThisFile();
const { query, mutate } = wire;
const { rest } = restOn(wire);
const { makeTeam } = accountsOn(wire);
const { createProject, createTask, getTask, listTasks } = workOn(wire);

describe('task relations', () => {
  let team: Team;
  let project: Project;
  let token: string;

  beforeAll(async () => {
    team = await makeTeam();
    project = await createProject(team.admin.token, team.workspaceId, 'REL');
    token = team.member.token;
  });

  const newTask = (title = 'Related work') => createTask(token, project.id, { title });
  const relate = (taskId: string, type: RelationType, otherTaskId: string, as = token) =>
    mutate('tasks.relations.add', { taskId, type, otherTaskId }, { token: as });
  const unrelate = (taskId: string, type: RelationType, otherTaskId: string, as = token) =>
    mutate('tasks.relations.remove', { taskId, type, otherTaskId }, { token: as });
  const ref = (task: Task) => ({
    id: task.id,
    key: task.key,
    title: task.title,
    status: task.status,
  });
  const none: Relations = {
    blocks: [],
    blockedBy: [],
    relates: [],
    duplicates: [],
    duplicatedBy: [],
  };

  it('add answers the task’s relations, and the other task sees them from its side', async () => {
    const [a, b, c] = [await newTask('A'), await newTask('B'), await newTask('C')];

    expect(dataOf<Relations>(await relate(a.id, 'blocks', b.id))).toEqual({
      ...none,
      blocks: [ref(b)],
    });
    expect(dataOf<Relations>(await relate(c.id, 'duplicates', b.id))).toEqual({
      ...none,
      duplicates: [ref(b)],
    });
    // From B: blocked by A, duplicated by C, and the relates it adds itself.
    expect(dataOf<Relations>(await relate(b.id, 'relates', c.id))).toEqual({
      ...none,
      blockedBy: [ref(a)],
      relates: [ref(c)],
      duplicatedBy: [ref(c)],
    });
    // `relates` reads both ways: C relates to B though B added it.
    expect(dataOf<Relations>(await unrelate(c.id, 'duplicates', b.id))).toEqual({
      ...none,
      relates: [ref(b)],
    });
  });

  it('a blocks cycle is refused with 409 naming it by task keys', async () => {
    const [a, b, c] = [await newTask(), await newTask(), await newTask()];
    dataOf(await relate(a.id, 'blocks', b.id));
    dataOf(await relate(b.id, 'blocks', c.id));

    const closing = expectError(await relate(c.id, 'blocks', a.id), 409, 'CONFLICT');
    expect(closing.message).toContain(`${c.key} → ${a.key} → ${b.key} → ${c.key}`);
    const backwards = expectError(await relate(b.id, 'blocks', a.id), 409, 'CONFLICT');
    expect(backwards.message).toContain(`${b.key} → ${a.key} → ${b.key}`);
    // Not a cycle: A already blocks C through B, and may block it directly too.
    dataOf(await relate(a.id, 'blocks', c.id));
    // Once B no longer blocks C, C may block A.
    dataOf(await unrelate(b.id, 'blocks', c.id));
    const opened = expectError(await relate(c.id, 'blocks', a.id), 409, 'CONFLICT');
    expect(opened.message).toContain(`${c.key} → ${a.key} → ${c.key}`);
    dataOf(await unrelate(a.id, 'blocks', c.id));
    expect(dataOf<Relations>(await relate(c.id, 'blocks', a.id)).blocks).toEqual([ref(a)]);
  });

  it('an existing relation is refused with 409, `relates` either way round', async () => {
    const [a, b] = [await newTask(), await newTask()];
    dataOf(await relate(a.id, 'relates', b.id));
    dataOf(await relate(a.id, 'duplicates', b.id));

    expectError(await relate(a.id, 'relates', b.id), 409, 'CONFLICT');
    expectError(await relate(b.id, 'relates', a.id), 409, 'CONFLICT');
    expectError(await relate(a.id, 'duplicates', b.id), 409, 'CONFLICT');
    // Duplicates is directed: the other way is a relation of its own.
    dataOf(await relate(b.id, 'duplicates', a.id));
  });

  it('removing a relation that does not exist is NOT_FOUND; relates is removed from either side', async () => {
    const [a, b] = [await newTask(), await newTask()];
    expectError(await unrelate(a.id, 'relates', b.id), 404, 'NOT_FOUND');
    dataOf(await relate(a.id, 'blocks', b.id));
    // Blocks is directed: B does not block A.
    expectError(await unrelate(b.id, 'blocks', a.id), 404, 'NOT_FOUND');
    dataOf(await relate(a.id, 'relates', b.id));
    expect(dataOf<Relations>(await unrelate(b.id, 'relates', a.id))).toEqual({
      ...none,
      blockedBy: [ref(a)],
    });
    expectError(await unrelate(a.id, 'relates', b.id), 404, 'NOT_FOUND');
    // Deleting a task takes its relations with it.
    dataOf(await mutate('tasks.delete', { taskId: b.id }, { token }));
    const c = await newTask();
    expect(dataOf<Relations>(await relate(a.id, 'relates', c.id))).toEqual({
      ...none,
      relates: [ref(c)],
    });
  });

  it('a task is not related to itself: 400 on otherTaskId', async () => {
    const a = await newTask();
    expectFieldErrors(await relate(a.id, 'relates', a.id), ['otherTaskId']);
    expectFieldErrors(await relate(a.id, 'blocks', a.id), ['otherTaskId']);
  });

  it('a task of another workspace is NOT_FOUND, as if it did not exist, either side', async () => {
    const mine = await newTask();
    const theirProject = await createProject(team.outsider.token, team.outsiderWorkspaceId, 'OUT');
    const theirs = await createTask(team.outsider.token, theirProject.id, { title: 'Secret plan' });

    for (const type of ['blocks', 'relates', 'duplicates'] as const) {
      const reply = await relate(mine.id, type, theirs.id);
      expect(expectError(reply, 404, 'NOT_FOUND').message).toBe('Task not found');
      expect(reply.text).not.toContain('Secret plan');
      expect(reply.text).not.toContain(theirs.key);
      const missing = await relate(mine.id, type, 'Tk0000000000000000000000');
      expect(expectError(missing, 404, 'NOT_FOUND').message).toBe('Task not found');
      // The outsider naming my task from theirs learns nothing either.
      const back = await relate(theirs.id, type, mine.id, team.outsider.token);
      expect(expectError(back, 404, 'NOT_FOUND').message).toBe('Task not found');
    }
    expect(await getTask(token, mine.id)).toMatchObject({ version: mine.version });
  });

  it('tasks.list {blocked: true} lists tasks an open task blocks', async () => {
    const listed = await createProject(team.admin.token, team.workspaceId, 'BLK');
    const make = (title: string) => createTask(token, listed.id, { title });
    const [blocker, blocked, doneBlocker, free, unblocked] = [
      await make('Blocker'),
      await make('Blocked'),
      await make('Done blocker'),
      await make('Free'),
      await make('Blocked by a done task'),
    ];
    dataOf(await relate(blocker.id, 'blocks', blocked.id));
    dataOf(await relate(doneBlocker.id, 'blocks', unblocked.id));
    dataOf(await relate(free.id, 'relates', blocked.id));
    dataOf(
      await mutate(
        'tasks.update',
        { taskId: doneBlocker.id, expectedVersion: 1, patch: { status: 'done' } },
        { token },
      ),
    );
    const list = async (blockedFilter: boolean) =>
      ids(
        dataOf<{ items: Task[] }>(
          await listTasks(token, {
            workspaceId: team.workspaceId,
            projectId: listed.id,
            blocked: blockedFilter,
          }),
        ).items,
      ).sort();

    expect(await list(true)).toEqual([blocked.id]);
    expect(await list(false)).toEqual([blocker.id, doneBlocker.id, free.id, unblocked.id].sort());
    // A canceled blocker blocks nothing either.
    const current = await getTask(token, blocker.id);
    dataOf(
      await mutate(
        'tasks.update',
        { taskId: blocker.id, expectedVersion: current.version, patch: { status: 'canceled' } },
        { token },
      ),
    );
    expect(await list(true)).toEqual([]);
    // Over REST the filter is a query parameter.
    const reply = await rest('GET', `/workspaces/${team.workspaceId}/tasks`, {
      token,
      query: { projectId: listed.id, blocked: 'false' },
    });
    expect(reply.status).toBe(200);
    expect(ids((reply.json as { items: Task[] }).items)).toHaveLength(5);
  });

  it('each add and remove is an event: task.relation_added / task.relation_removed', async () => {
    const [a, b] = [await newTask(), await newTask()];
    dataOf(await relate(a.id, 'blocks', b.id, team.admin.token));
    dataOf(await unrelate(a.id, 'blocks', b.id, team.admin.token));

    const page = dataOf<EventPage>(
      await query(
        'events.list',
        { workspaceId: team.workspaceId, types: ['task.relation_added', 'task.relation_removed'] },
        { token: team.member.token },
      ),
    );
    const mine = page.items.filter((event) => 'taskId' in event.data && event.data.taskId === a.id);
    const relation = {
      type: 'blocks',
      taskId: a.id,
      taskKey: a.key,
      otherTaskId: b.id,
      otherTaskKey: b.key,
    };
    expect(mine).toEqual([
      expect.objectContaining({
        type: 'task.relation_added',
        workspaceId: team.workspaceId,
        actor: { userId: team.admin.user.id, name: team.admin.user.name },
        data: relation,
      }),
      expect.objectContaining({ type: 'task.relation_removed', data: relation }),
    ]);
    // The task itself did not change.
    expect(await getTask(token, a.id)).toMatchObject({ version: a.version });
  });

  it('REST: POST /tasks/{taskId}/relations and DELETE /tasks/{taskId}/relations/{type}/{otherTaskId}', async () => {
    const [a, b] = [await newTask(), await newTask()];
    const added = await rest('POST', `/tasks/${a.id}/relations`, {
      token,
      body: { type: 'duplicates', otherTaskId: b.id },
    });
    expect(added.status).toBe(200);
    expect(added.json).toEqual({ ...none, duplicates: [ref(b)] });
    const again = await rest('POST', `/tasks/${a.id}/relations`, {
      token,
      body: { type: 'duplicates', otherTaskId: b.id },
    });
    expectRestError(again, 409, 'CONFLICT');

    const removed = await rest('DELETE', `/tasks/${a.id}/relations/duplicates/${b.id}`, { token });
    expect(removed.status).toBe(200);
    expect(removed.json).toEqual(none);
    const gone = await rest('DELETE', `/tasks/${a.id}/relations/duplicates/${b.id}`, { token });
    expectRestError(gone, 404, 'NOT_FOUND');
    const badType = await rest('DELETE', `/tasks/${a.id}/relations/causes/${b.id}`, { token });
    expect(expectRestError(badType, 400, 'BAD_REQUEST').fieldErrors).toHaveProperty('type');
  });
});
