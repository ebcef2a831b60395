// The black-box contract of docs/api.md (../../../../docs/api.md) for workflow states:
// projects.states.* over tRPC and REST, who may call them, tasks naming a state by stateId
// or by status, and what removing a state does to its tasks (edits, events, stats).
import type { RouterOutputs } from '@trellis/client';
import { beforeAll, describe, expect, it } from 'vitest';
import { accountsOn, type Team } from '../support/accounts.js';
import { serveThisFile } from '../support/http.js';
import { expectRestError, restOn } from '../support/rest.js';
import { dataOf, expectError, expectFieldErrors } from '../support/wire.js';
import { workOn } from '../support/work.js';

type State = RouterOutputs['projects']['states']['list'][number];
type StatsOverview = RouterOutputs['stats']['overview'];
type EventPage = RouterOutputs['events']['list'];

const wire = serveThisFile();
const { query, mutate } = wire;
const { rest } = restOn(wire);
const { makeTeam } = accountsOn(wire);
const { createProject, createTask, getTask } = workOn(wire);

describe('workflow states', () => {
  let team: Team;

  beforeAll(async () => {
    team = await makeTeam();
  });

  const statesOf = async (projectId: string, token = team.member.token) =>
    dataOf<State[]>(await query('projects.states.list', { projectId }, { token }));

  it('every project starts with the five default states; REST lists them too', async () => {
    const project = await createProject(team.admin.token, team.workspaceId, 'STA');
    const states = await statesOf(project.id);
    expect(states.map((s) => [s.name, s.category, s.position])).toEqual([
      ['Backlog', 'backlog', 1],
      ['Todo', 'unstarted', 2],
      ['In Progress', 'started', 3],
      ['Done', 'completed', 4],
      ['Canceled', 'canceled', 5],
    ]);
    const reply = await rest('GET', `/projects/${project.id}/states`, { token: team.member.token });
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual(states);
  });

  it('admins shape the workflow; members are refused and outsiders see nothing', async () => {
    const project = await createProject(team.admin.token, team.workspaceId, 'STB');
    const input = { name: 'In Review', category: 'started' };
    expectError(
      await mutate(
        'projects.states.add',
        { projectId: project.id, ...input },
        { token: team.member.token },
      ),
      403,
      'FORBIDDEN',
    );
    expectError(
      await mutate(
        'projects.states.add',
        { projectId: project.id, ...input },
        { token: team.outsider.token },
      ),
      404,
      'NOT_FOUND',
    );
    const [backlog] = await statesOf(project.id);
    if (!backlog) throw new Error('Backlog');
    expectError(
      await query(
        'projects.states.list',
        { projectId: project.id },
        { token: team.outsider.token },
      ),
      404,
      'NOT_FOUND',
    );
    expectRestError(
      await rest('PATCH', `/states/${backlog.id}`, {
        token: team.outsider.token,
        body: { name: 'Icebox' },
      }),
      404,
      'NOT_FOUND',
    );

    const added = await rest('POST', `/projects/${project.id}/states`, {
      token: team.admin.token,
      body: input,
    });
    expect(added.status).toBe(201);
    expect(added.json).toMatchObject({ ...input, position: 4, projectId: project.id });
    const renamed = await rest('PATCH', `/states/${backlog.id}`, {
      token: team.admin.token,
      body: { name: 'Icebox' },
    });
    expect(renamed.json).toMatchObject({ id: backlog.id, name: 'Icebox', category: 'backlog' });
    const ids = (await statesOf(project.id)).map((s) => s.id).reverse();
    const reordered = await rest('POST', `/projects/${project.id}/states/reorder`, {
      token: team.admin.token,
      body: { stateIds: ids },
    });
    expect((reordered.json as State[]).map((s) => s.id)).toEqual(ids);
    expectRestError(
      await rest('POST', `/projects/${project.id}/states`, {
        token: team.admin.token,
        body: { name: 'in review', category: 'started' },
      }),
      409,
      'CONFLICT',
    );
  });

  it('status still works where it names one state; an ambiguous status is a 400 on status', async () => {
    const project = await createProject(team.admin.token, team.workspaceId, 'STC');
    const task = await createTask(team.member.token, project.id, { status: 'done' });
    const done = (await statesOf(project.id)).find((s) => s.category === 'completed');
    expect(task).toMatchObject({ status: 'done', stateId: done?.id });
    expect(task.completedAt).not.toBeNull();

    dataOf(
      await mutate(
        'projects.states.add',
        { projectId: project.id, name: 'Shipped', category: 'completed' },
        { token: team.admin.token },
      ),
    );
    const ambiguous = expectFieldErrors(
      await mutate(
        'tasks.create',
        { projectId: project.id, title: 'More', status: 'done' },
        { token: team.member.token },
      ),
      ['status'],
    );
    expect(ambiguous.status?.[0]).toContain('Done, Shipped');
    const rest400 = await rest('POST', `/projects/${project.id}/tasks`, {
      token: team.member.token,
      body: { title: 'More', status: 'done' },
    });
    expect(rest400.status).toBe(400);
  });

  it('removing a state moves its tasks as edits, with events, and stats keep counting them', async () => {
    const team2 = await makeTeam();
    const project = await createProject(team2.admin.token, team2.workspaceId, 'STD');
    const review = dataOf<State>(
      await mutate(
        'projects.states.add',
        { projectId: project.id, name: 'In Review', category: 'started' },
        { token: team2.admin.token },
      ),
    );
    const a = await createTask(team2.member.token, project.id, { stateId: review.id });
    const b = await createTask(team2.member.token, project.id, { stateId: review.id });
    const stats = async () =>
      dataOf<StatsOverview>(
        await query(
          'stats.overview',
          { workspaceId: team2.workspaceId },
          { token: team2.member.token },
        ),
      ).byStatus;
    expect(await stats()).toEqual({ backlog: 0, todo: 0, in_progress: 2, done: 0, canceled: 0 });

    expectFieldErrors(
      await mutate('projects.states.remove', { stateId: review.id }, { token: team2.admin.token }),
      ['moveToStateId'],
    );
    const started = (await statesOf(project.id, team2.member.token)).find(
      (s) => s.name === 'In Progress',
    );
    if (!started) throw new Error('In Progress');
    const removed = await rest('DELETE', `/states/${review.id}`, {
      token: team2.admin.token,
      body: { moveToStateId: started.id },
    });
    expect(removed.json).toEqual({ ok: true, moved: 2 });
    for (const task of [a, b]) {
      expect(await getTask(team2.member.token, task.id)).toMatchObject({
        stateId: started.id,
        status: 'in_progress',
        version: 2,
      });
    }
    expect(await stats()).toEqual({ backlog: 0, todo: 0, in_progress: 2, done: 0, canceled: 0 });
    const inState = await rest('GET', `/workspaces/${team2.workspaceId}/tasks`, {
      token: team2.member.token,
      query: { stateId: [started.id, review.id] },
    });
    expect((inState.json as { items: { id: string }[] }).items.map((t) => t.id).sort()).toEqual(
      [a.id, b.id].sort(),
    );

    const page = dataOf<EventPage>(
      await query(
        'events.list',
        {
          workspaceId: team2.workspaceId,
          types: ['state.created', 'state.deleted', 'task.updated'],
        },
        { token: team2.member.token },
      ),
    );
    expect(page.items.map((e) => e.type)).toEqual([
      'state.created',
      'task.updated',
      'task.updated',
      'state.deleted',
    ]);
    const moved = page.items[1];
    expect(moved?.type === 'task.updated' && moved.changes).toEqual({
      stateId: { from: review.id, to: started.id },
    });
  });
});
