// Filters in a REST query string as a generated client sends them. openapi-fetch (like most
// generators) leaves a null parameter out of the URL, so `assigneeId: null` ("unassigned")
// would silently list every task; `assigneeId=none` says it in a word the URL keeps.
import { beforeAll, describe, expect, it } from 'vitest';
import { accountsOn, type Team } from './support/accounts.js';
import { serveThisFile } from './support/http.js';
import { expectRestError, restOn } from './support/rest.js';
import type { Project, Task, TaskPage } from './support/wire.js';
import { ids, workOn } from './support/work.js';

const wire = serveThisFile();
const { rest } = restOn(wire);
const { makeTeam } = accountsOn(wire);
const { createProject, createTask } = workOn(wire);

/**
 * The query string openapi-fetch's default serializer writes for `params.query`
 * (createQuerySerializer: null and undefined are skipped, arrays are repeated keys,
 * values are encodeURIComponent-ed), without loading it: it is not a dependency here.
 */
function openapiFetchQuery(params: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    for (const item of Array.isArray(value) ? value : [value]) {
      parts.push(`${name}=${encodeURIComponent(String(item))}`);
    }
  }
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

let team: Team;
let project: Project;
let assigned: Task;
let unassigned: Task;

beforeAll(async () => {
  team = await makeTeam();
  project = await createProject(team.admin.token, team.workspaceId, 'QRY');
  assigned = await createTask(team.member.token, project.id, { assigneeId: team.member.user.id });
  unassigned = await createTask(team.member.token, project.id);
});

async function listIds(search: string): Promise<string[]> {
  const reply = await wire.send(`/api/v1/workspaces/${team.workspaceId}/tasks${search}`, {
    headers: { authorization: `Bearer ${team.member.token}` },
  });
  expect(reply.status, reply.text.slice(0, 300)).toBe(200);
  return ids((reply.json as TaskPage).items).sort();
}

describe('GET /workspaces/{workspaceId}/tasks?assigneeId=…', () => {
  it('lists unassigned tasks for assigneeId=none, as openapi-fetch sends it', async () => {
    const search = openapiFetchQuery({ assigneeId: 'none', status: ['backlog', 'todo'] });
    expect(search).toBe('?assigneeId=none&status=backlog&status=todo');
    expect(await listIds(search)).toEqual([unassigned.id]);
  });

  it('shows why: openapi-fetch drops assigneeId: null, and the filter with it', async () => {
    const search = openapiFetchQuery({ assigneeId: null });
    expect(search).toBe('');
    expect(await listIds(search)).toEqual([assigned.id, unassigned.id].sort());
  });

  it('still takes an empty value for null, and an id for that person', async () => {
    expect(await listIds('?assigneeId=')).toEqual([unassigned.id]);
    expect(await listIds(openapiFetchQuery({ assigneeId: team.member.user.id }))).toEqual([
      assigned.id,
    ]);
  });

  it('refuses the same assignee twice by name (repeated keys are a list)', async () => {
    const reply = await rest('GET', `/workspaces/${team.workspaceId}/tasks`, {
      token: team.member.token,
      query: { assigneeId: ['none', 'none'] },
    });
    expect(expectRestError(reply, 400, 'BAD_REQUEST').fieldErrors).toHaveProperty('assigneeId');
  });

  it('documents the word in the parameter the document publishes', async () => {
    const document = (await (
      await wire.send('/api/openapi.json')
    ).json) as {
      paths: Record<string, { get?: { parameters?: { name?: string; schema?: unknown }[] } }>;
    };
    const parameter = document.paths['/workspaces/{workspaceId}/tasks']?.get?.parameters?.find(
      (p) => p.name === 'assigneeId',
    );
    // One id or several (repeated keys): published as the list, each item an id or the word.
    expect(parameter).toMatchObject({
      in: 'query',
      required: false,
      schema: {
        type: 'array',
        items: { anyOf: [{ type: 'string' }, { type: 'string', enum: ['none', ''] }] },
      },
    });
    expect(JSON.stringify(parameter)).not.toContain('"null"');
  });
});
