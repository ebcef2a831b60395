// The black-box contract of docs/api.md (../../../../docs/api.md) for projects: create, list, get, update and archive.
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
} from '../support/wire.js';
import { ids, workOn } from '../support/work.js';

const wire = serveThisFile();
const { query, mutate } = wire;
const { makeTeam } = accountsOn(wire);
const { createProject } = workOn(wire);

describe('projects', () => {
  let team: Team;
  beforeAll(async () => {
    team = await makeTeam();
  });

  it('an admin creates a project: 200 with id, key, name, timestamps and no archivedAt', async () => {
    const reply = await mutate(
      'projects.create',
      { workspaceId: team.workspaceId, name: 'Engineering', key: 'ENG' },
      { token: team.admin.token },
    );

    const project = dataOf<Project>(reply);
    expect(project).toEqual({
      id: expect.any(String),
      workspaceId: team.workspaceId,
      key: 'ENG',
      name: 'Engineering',
      archivedAt: null,
      createdAt: expect.stringMatching(ISO_INSTANT),
      updatedAt: project.createdAt,
    });
  });

  it.each(['A', 'ABCDEFGHIJK', 'eng', 'Eng', 'EN1', 'ÉNG', 'E G', 'E-G', ''])(
    'refuses the key %j with 400 and data.fieldErrors.key',
    async (key) => {
      const reply = await mutate(
        'projects.create',
        { workspaceId: team.workspaceId, name: 'Bad key', key },
        { token: team.admin.token },
      );

      expectFieldErrors(reply, ['key']);
    },
  );

  it('accepts keys of 2 and of 10 uppercase letters', async () => {
    for (const key of ['AB', 'ABCDEFGHIJ']) {
      expect((await createProject(team.admin.token, team.workspaceId, key)).key).toBe(key);
    }
  });

  it('refuses a key the workspace already has with 409 CONFLICT, and keeps one project', async () => {
    await createProject(team.admin.token, team.workspaceId, 'DUP');

    const reply = await mutate(
      'projects.create',
      { workspaceId: team.workspaceId, name: 'Again', key: 'DUP' },
      { token: team.owner.token },
    );

    expectError(reply, 409, 'CONFLICT');
    const projects = dataOf<Project[]>(
      await query('projects.list', { workspaceId: team.workspaceId }, { token: team.owner.token }),
    );
    expect(projects.filter((project) => project.key === 'DUP')).toHaveLength(1);
  });

  it('lets another workspace use the same key', async () => {
    await createProject(team.admin.token, team.workspaceId, 'SAME');

    const other = await createProject(team.outsider.token, team.outsiderWorkspaceId, 'SAME');

    expect(other.workspaceId).toBe(team.outsiderWorkspaceId);
  });

  it('lists, gets, renames and archives; archived projects leave the default list', async () => {
    const web = await createProject(team.admin.token, team.workspaceId, 'WEB');
    const ops = await createProject(team.admin.token, team.workspaceId, 'OPS');
    const list = (input: Record<string, unknown>) =>
      query(
        'projects.list',
        { workspaceId: team.workspaceId, ...input },
        { token: team.member.token },
      );

    const listed = dataOf<Project[]>(await list({}));
    expect(listed).toEqual(expect.arrayContaining([web, ops]));
    expect(
      dataOf<Project>(
        await query('projects.get', { projectId: web.id }, { token: team.member.token }),
      ),
    ).toEqual(web);

    const renamed = dataOf<Project>(
      await mutate(
        'projects.update',
        { projectId: web.id, name: 'Website' },
        { token: team.admin.token },
      ),
    );
    expect(renamed).toEqual({
      ...web,
      name: 'Website',
      updatedAt: expect.stringMatching(ISO_INSTANT),
    });
    expect(renamed.updatedAt >= web.updatedAt).toBe(true);
    expect(
      dataOf<Project>(
        await query('projects.get', { projectId: web.id }, { token: team.member.token }),
      ),
    ).toEqual(renamed);

    const archived = dataOf<Project>(
      await mutate('projects.archive', { projectId: ops.id }, { token: team.admin.token }),
    );
    expect(archived).toEqual({
      ...ops,
      archivedAt: expect.stringMatching(ISO_INSTANT),
      updatedAt: expect.stringMatching(ISO_INSTANT),
    });
    expect(ids(dataOf<Project[]>(await list({})))).not.toContain(ops.id);
    expect(dataOf<Project[]>(await list({ includeArchived: true }))).toEqual(
      expect.arrayContaining([renamed, archived]),
    );
  });

  it('answers an outsider 404 NOT_FOUND on every procedure, exactly as for an id that does not exist', async () => {
    const project = await createProject(team.admin.token, team.workspaceId, 'PRIV');
    const token = team.outsider.token;

    const missing = expectError(
      await query('projects.get', { projectId: 'no-such-project' }, { token }),
      404,
      'NOT_FOUND',
    );
    const foreign = expectError(
      await query('projects.get', { projectId: project.id }, { token }),
      404,
      'NOT_FOUND',
    );
    expect(foreign.message).toBe(missing.message);
    expectError(
      await query('projects.list', { workspaceId: team.workspaceId }, { token }),
      404,
      'NOT_FOUND',
    );
    expectError(
      await mutate(
        'projects.create',
        { workspaceId: team.workspaceId, name: 'In', key: 'INTO' },
        { token },
      ),
      404,
      'NOT_FOUND',
    );
    expectError(
      await mutate('projects.update', { projectId: project.id, name: 'X' }, { token }),
      404,
      'NOT_FOUND',
    );
    expectError(
      await mutate('projects.archive', { projectId: project.id }, { token }),
      404,
      'NOT_FOUND',
    );

    expect(
      dataOf<Project>(
        await query('projects.get', { projectId: project.id }, { token: team.owner.token }),
      ),
    ).toEqual(project);
  });
});
