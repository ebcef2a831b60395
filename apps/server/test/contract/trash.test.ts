// The black-box contract of docs/api.md (../../../../docs/api.md) for the trash: tasks.delete
// moves a task there, tasks.restore brings it back with its comments, labels, relations and
// sub-tasks, tasks.list {trashed: true} lists it, and the server purges it after
// TRASH_RETENTION_DAYS. A real server on a loopback port, spoken to over raw HTTP (tRPC and
// REST); the answers' types come from @trellis/client as types only.
import type { RouterOutputs } from '@trellis/client';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { accountsOn, type Team } from '../support/accounts.js';
import { serveThisFile, type Wire, wireTo } from '../support/http.js';
import { expectRestError, restOn } from '../support/rest.js';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  dataOf,
  expectError,
  expectFieldErrors,
  type Project,
  type Task,
} from '../support/wire.js';
import { ids, workOn } from '../support/work.js';

type TaskDetail = RouterOutputs['tasks']['get'];
type TrashPage = RouterOutputs['tasks']['list'];
type EventPage = RouterOutputs['events']['list'];
type CommentPage = RouterOutputs['comments']['list'];

const wire = serveThisFile();
const { query, mutate } = wire;
const { rest } = restOn(wire);
const { makeTeam } = accountsOn(wire);
const { createProject, createTask, listTasks } = workOn(wire);

describe('the trash', () => {
  let team: Team;
  let project: Project;
  let token: string;

  beforeAll(async () => {
    team = await makeTeam();
    project = await createProject(team.admin.token, team.workspaceId, 'TRS');
    token = team.member.token;
  });

  const newTask = (fields: Record<string, unknown> = {}) => createTask(token, project.id, fields);
  const detail = async (taskId: string) =>
    dataOf<TaskDetail>(await query('tasks.get', { taskId }, { token }));
  const remove = (taskId: string, cascade = false) =>
    mutate('tasks.delete', { taskId, cascade }, { token });
  const restore = (taskId: string, as = token) =>
    mutate('tasks.restore', { taskId }, { token: as });
  const trash = async (input: Record<string, unknown> = {}) =>
    dataOf<TrashPage>(
      await listTasks(token, { workspaceId: team.workspaceId, trashed: true, ...input }),
    );

  it('delete moves a task to the trash; restore brings back its comments, labels and relations (both sides)', async () => {
    const task = await newTask({ title: 'Comeback', labels: ['bug', 'ui'] });
    const [blocker, blocked] = [await newTask(), await newTask()];
    dataOf(
      await mutate(
        'tasks.relations.add',
        { taskId: blocker.id, type: 'blocks', otherTaskId: task.id },
        { token },
      ),
    );
    dataOf(
      await mutate(
        'tasks.relations.add',
        { taskId: task.id, type: 'blocks', otherTaskId: blocked.id },
        { token },
      ),
    );
    const said = dataOf<{ id: string }>(
      await mutate('comments.create', { taskId: task.id, body: 'Keep this' }, { token }),
    );

    expect(dataOf(await remove(task.id))).toEqual({ ok: true });

    expectError(await query('tasks.get', { taskId: task.id }, { token }), 404, 'NOT_FOUND');
    expectError(await query('comments.list', { taskId: task.id }, { token }), 404, 'NOT_FOUND');
    expectError(await remove(task.id), 404, 'NOT_FOUND');
    expect((await detail(blocker.id)).relations.blocks).toEqual([]);
    const listed = (await trash()).items.find((item) => item.id === task.id);
    expect(listed).toEqual({
      ...task,
      deletedAt: expect.any(String),
      deletedBy: team.member.user.id,
    });
    expect(
      ids(dataOf<TrashPage>(await listTasks(token, { workspaceId: team.workspaceId })).items),
    ).not.toContain(task.id);

    const restored = dataOf<Task>(await restore(task.id));

    expect(restored).toEqual({ ...task, version: task.version + 1, updatedAt: expect.any(String) });
    const back = await detail(task.id);
    expect(back.labels).toEqual(['bug', 'ui']);
    expect(ids(back.relations.blockedBy)).toEqual([blocker.id]);
    expect(ids(back.relations.blocks)).toEqual([blocked.id]);
    expect(ids((await detail(blocked.id)).relations.blockedBy)).toEqual([task.id]);
    const comments = dataOf<CommentPage>(
      await query('comments.list', { taskId: task.id }, { token }),
    );
    expect(comments.items.map((c) => [c.id, c.body])).toEqual([[said.id, 'Keep this']]);
    expect(ids((await trash()).items)).not.toContain(task.id);
    expectError(await restore(task.id), 404, 'NOT_FOUND');
  });

  it('a cascade comes back whole, parents first; a sub-task waits for its parent (409)', async () => {
    const parent = await newTask({ title: 'Parent' });
    const child = await newTask({ title: 'Child', parentId: parent.id });
    const grandchild = await newTask({ title: 'Grandchild', parentId: child.id });
    expectError(await remove(parent.id), 409, 'CONFLICT');
    dataOf(await remove(parent.id, true));

    const waiting = expectError(await restore(grandchild.id), 409, 'CONFLICT');
    expect(waiting.message).toContain(`Restore ${child.key} first`);
    dataOf(await restore(parent.id));

    expect((await detail(parent.id)).children).toEqual({ total: 1, done: 0 });
    expect((await detail(grandchild.id)).parent?.id).toBe(child.id);
    const events = dataOf<EventPage>(
      await query(
        'events.list',
        { workspaceId: team.workspaceId, types: ['task.restored'] },
        { token },
      ),
    );
    const order = events.items.map((event) => ('id' in event.data ? event.data.id : null));
    expect(order.slice(-3)).toEqual([parent.id, child.id, grandchild.id]);
    expect(events.items.at(-1)).toMatchObject({
      type: 'task.restored',
      actor: { userId: team.member.user.id },
      data: { id: grandchild.id, key: grandchild.key, version: grandchild.version + 1 },
    });
  });

  it('outsiders get 404 and viewers-level tokens 403; a live task is not in the trash (404)', async () => {
    const task = await newTask();
    expectError(await restore(task.id), 404, 'NOT_FOUND');
    dataOf(await remove(task.id));

    const byOutsider = expectError(await restore(task.id, team.outsider.token), 404, 'NOT_FOUND');
    expect(byOutsider.message).toBe('Task not found');
    const theirs = await listTasks(team.outsider.token, {
      workspaceId: team.workspaceId,
      trashed: true,
    });
    expectError(theirs, 404, 'NOT_FOUND');
    dataOf(await restore(task.id));
  });

  it('the trash pages newest deletion first, by project, and takes no other filter', async () => {
    const other = await createProject(team.admin.token, team.workspaceId, 'TRX');
    const made = [
      await createTask(token, other.id, { title: 'first' }),
      await createTask(token, other.id, { title: 'second' }),
      await createTask(token, other.id, { title: 'third' }),
    ];
    for (const task of made) dataOf(await remove(task.id));

    const first = await trash({ projectId: other.id, limit: 2 });
    expect(ids(first.items)).toEqual([made[2]?.id, made[1]?.id]);
    const rest2 = await trash({ projectId: other.id, limit: 2, cursor: first.nextCursor });
    expect(rest2).toMatchObject({ items: [{ id: made[0]?.id }], nextCursor: null });
    for (const field of ['status', 'q', 'assigneeId']) {
      const extra = { status: ['todo'], q: 'x', assigneeId: null }[field];
      const reply = await listTasks(token, {
        workspaceId: team.workspaceId,
        trashed: true,
        [field]: extra,
      });
      expectFieldErrors(reply, [field]);
    }
  });

  it('REST: POST /tasks/{taskId}/restore and GET …/tasks?trashed=true', async () => {
    const task = await newTask({ title: 'Over REST' });
    const deleted = await rest('DELETE', `/tasks/${task.id}`, { token });
    expect(deleted.status).toBe(200);

    const listed = await rest('GET', `/workspaces/${team.workspaceId}/tasks`, {
      token,
      query: { trashed: 'true', projectId: project.id, limit: '1' },
    });
    expect(listed.status).toBe(200);
    expect((listed.json as TrashPage).items[0]).toMatchObject({
      id: task.id,
      deletedBy: team.member.user.id,
    });
    const refused = await rest('GET', `/workspaces/${team.workspaceId}/tasks`, {
      token,
      query: { trashed: 'true', label: 'x' },
    });
    expect(expectRestError(refused, 400, 'BAD_REQUEST').fieldErrors).toHaveProperty('label');

    const restored = await rest('POST', `/tasks/${task.id}/restore`, { token });
    expect(restored.status).toBe(200);
    expect(restored.json).toMatchObject({ id: task.id, version: task.version + 1 });
    expectRestError(await rest('POST', `/tasks/${task.id}/restore`, { token }), 404, 'NOT_FOUND');
  });
});

describe('the purge', () => {
  let server: TestServer | undefined;
  afterEach(() => server?.close());

  it('deletes trashed tasks once TRASH_RETENTION_DAYS have passed', async () => {
    // The server's clock, moved forward by the test: the sweep reads it too.
    let ahead = 0;
    const started = await startTestServer(
      { trashRetentionDays: 1, sessionSweepIntervalMs: 25 },
      { clock: () => new Date(Date.now() + ahead) },
    );
    server = started;
    const own: Wire = { ...wireTo(started), server: started, record: () => {} };
    const purgeTeam = await accountsOn(own).makeTeam();
    const work = workOn(own);
    const purgeProject = await work.createProject(
      purgeTeam.admin.token,
      purgeTeam.workspaceId,
      'PRG',
    );
    const as = { token: purgeTeam.member.token };
    const [fresh, stale] = [
      await work.createTask(as.token, purgeProject.id),
      await work.createTask(as.token, purgeProject.id),
    ];
    dataOf(await own.mutate('tasks.delete', { taskId: fresh.id }, as));
    dataOf(await own.mutate('tasks.delete', { taskId: stale.id }, as));
    // One deleted two days ago: its purge shows that the sweep has run, and kept the other.
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 60 * 60 * 1000).toISOString();
    const { db } = started;
    await db
      .updateTable('trashed_tasks')
      .set({ deleted_at: twoDaysAgo })
      .where('task_id', '=', stale.id)
      .execute();
    const trashed = async () =>
      (await db.selectFrom('trashed_tasks').select('task_id').orderBy('task_id').execute()).map(
        (row) => row.task_id,
      );

    await expect.poll(trashed, { timeout: 30_000, interval: 25 }).toEqual([fresh.id]);
    expectError(await own.mutate('tasks.restore', { taskId: stale.id }, as), 404, 'NOT_FOUND');

    ahead = 25 * 60 * 60 * 1000;

    await expect.poll(trashed, { timeout: 30_000, interval: 25 }).toEqual([]);
    expectError(await own.mutate('tasks.restore', { taskId: fresh.id }, as), 404, 'NOT_FOUND');
  });
});
