// The black-box contract of docs/api.md (../../../../docs/api.md) for bulk changes:
// tasks.bulkUpdate / tasks.bulkDelete over tRPC and REST, all or nothing, one event per
// task, and an Idempotency-Key replay that changes nothing twice.
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
import { workOn } from '../support/work.js';

type BulkUpdated = RouterOutputs['tasks']['bulkUpdate'];
type EventPage = RouterOutputs['events']['list'];

const wire = serveThisFile();
const { query, mutate } = wire;
const { rest } = restOn(wire);
const { makeTeam } = accountsOn(wire);
const { createProject, createTask, getTask } = workOn(wire);

describe('bulk changes', () => {
  let team: Team;
  let project: Project;

  beforeAll(async () => {
    team = await makeTeam();
    project = await createProject(team.admin.token, team.workspaceId, 'BLK');
  });

  const tasks = async (n: number): Promise<Task[]> => {
    const made: Task[] = [];
    for (let i = 0; i < n; i += 1) made.push(await createTask(team.member.token, project.id));
    return made;
  };

  it('updates 20 tasks in one call, each with its version bumped and its own event', async () => {
    const twenty = await tasks(20);
    const ids = twenty.map((t) => t.id);
    const { items } = dataOf<BulkUpdated>(
      await mutate(
        'tasks.bulkUpdate',
        {
          workspaceId: team.workspaceId,
          taskIds: ids,
          patch: { priority: 4, addLabels: ['triage'] },
        },
        { token: team.member.token },
      ),
    );
    expect(items.map((t) => [t.id, t.version, t.priority, t.labels])).toEqual(
      ids.map((id) => [id, 2, 4, ['triage']]),
    );
    const events = dataOf<EventPage>(
      await query(
        'events.list',
        { workspaceId: team.workspaceId, types: ['task.updated'], limit: 100 },
        { token: team.member.token },
      ),
    );
    const updatedIds = events.items.map((e) => (e.type === 'task.updated' ? e.data.id : ''));
    expect(updatedIds.filter((id) => ids.includes(id)).sort()).toEqual([...ids].sort());
  });

  it('is all or nothing: one bad task leaves every other one as it was', async () => {
    const three = await tasks(3);
    const ids = three.map((t) => t.id);
    const states = dataOf<RouterOutputs['projects']['states']['list']>(
      await query('projects.states.list', { projectId: project.id }, { token: team.member.token }),
    );
    const other = await createProject(team.admin.token, team.workspaceId, 'BLX');
    const [foreignState] = dataOf<typeof states>(
      await query('projects.states.list', { projectId: other.id }, { token: team.member.token }),
    );
    // The state belongs to another project: every task refuses it, the first one named.
    const reply = await rest('POST', `/workspaces/${team.workspaceId}/tasks/bulk-update`, {
      token: team.member.token,
      body: { taskIds: ids, patch: { title: 'Renamed', stateId: foreignState?.id } },
    });
    const error = expectRestError(reply, 400, 'BAD_REQUEST');
    expect(error.message).toContain(`${three[0]?.key}:`);
    for (const task of three) {
      expect(await getTask(team.member.token, task.id)).toMatchObject({
        title: task.title,
        version: 1,
      });
    }
    expectFieldErrors(
      await mutate(
        'tasks.bulkUpdate',
        {
          workspaceId: team.workspaceId,
          taskIds: [...ids, 'no-such-task'],
          patch: { priority: 1 },
        },
        { token: team.member.token },
      ),
      ['taskIds.3'],
    );
    expect(states.length).toBeGreaterThan(0);
  });

  it('an Idempotency-Key replay answers the first result and changes nothing twice', async () => {
    const two = await tasks(2);
    const body = { taskIds: two.map((t) => t.id), patch: { priority: 2 } };
    const call = () =>
      rest('POST', `/workspaces/${team.workspaceId}/tasks/bulk-update`, {
        token: team.member.token,
        headers: { 'Idempotency-Key': `bulk-${two[0]?.id}` },
        body,
      });
    const first = await call();
    const replay = await call();
    expect(first.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.text).toBe(first.text);
    for (const task of two) {
      expect(await getTask(team.member.token, task.id)).toMatchObject({ version: 2 });
    }
  });

  it('deletes in bulk to the trash; a viewer and an outsider are refused', async () => {
    const three = await tasks(3);
    const ids = three.map((t) => t.id);
    expectError(
      await mutate(
        'tasks.bulkDelete',
        { workspaceId: team.workspaceId, taskIds: ids },
        { token: team.outsider.token },
      ),
      404,
      'NOT_FOUND',
    );
    const reply = await rest('POST', `/workspaces/${team.workspaceId}/tasks/bulk-delete`, {
      token: team.member.token,
      body: { taskIds: ids, expectedVersions: { [ids[0] ?? '']: 1 } },
    });
    expect(reply.json).toEqual({ ok: true, deleted: 3 });
    for (const id of ids) {
      expectError(
        await query('tasks.get', { taskId: id }, { token: team.member.token }),
        404,
        'NOT_FOUND',
      );
    }
  });
});
