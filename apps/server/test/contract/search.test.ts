// The black-box contract of docs/api.md (../../../../docs/api.md) for search.tasks.
// A real server on a loopback port, spoken to over raw HTTP: nothing here loads the API's
// code; the answers' types come from @trellis/client as types only.
import { beforeAll, describe, expect, it } from 'vitest';
import { accountsOn, type Team } from '../support/accounts.js';
import { serveThisFile } from '../support/http.js';
import { dataOf, type SearchResult, type Task } from '../support/wire.js';
import { ids, workOn } from '../support/work.js';

const wire = serveThisFile();
const { query, mutate } = wire;
const { makeTeam } = accountsOn(wire);
const { createProject, createTask } = workOn(wire);

describe('search.tasks', () => {
  let team: Team;
  let audit: Task;
  let chore: Task;
  beforeAll(async () => {
    team = await makeTeam();
    const project = await createProject(team.admin.token, team.workspaceId, 'SRCH');
    audit = await createTask(team.member.token, project.id, {
      title: 'Quarterly frobnicator audit',
    });
    chore = await createTask(team.member.token, project.id, { title: 'Unrelated chore' });
    const theirs = await createProject(team.outsider.token, team.outsiderWorkspaceId, 'THEM');
    // Better matches than ours: if they leaked into the ranking, they would take our places.
    for (const title of ['Frobnicator', 'Frobnicator frobnicator', 'Frobnicators']) {
      await createTask(team.outsider.token, theirs.id, { title });
    }
  });

  const search = (q: string, token = team.member.token) =>
    query('search.tasks', { workspaceId: team.workspaceId, q }, { token });

  it('finds a task by the prefix of a title word, and only in the caller’s workspace', async () => {
    const result = dataOf<SearchResult>(await search('frobn'));

    expect(result.items.map((hit) => hit.task)).toEqual([audit]);
    expect(result.items[0]?.rank).toEqual(expect.any(Number));
    expect(ids(result.items.map((hit) => hit.task))).not.toContain(chore.id);
    const top = dataOf<SearchResult>(
      await query(
        'search.tasks',
        { workspaceId: team.workspaceId, q: 'frobnicator', limit: 1 },
        { token: team.member.token },
      ),
    );
    expect(top.items.map((hit) => hit.task.id)).toEqual([audit.id]);
  });

  it('finds a task by a word of a comment', async () => {
    await mutate(
      'comments.create',
      { taskId: chore.id, body: 'Needs a zanzibar permit' },
      { token: team.member.token },
    );

    const result = dataOf<SearchResult>(await search('zanzibar'));

    expect(result.items.map((hit) => hit.task.id)).toEqual([chore.id]);
  });

  it.each([
    '"',
    '"frob',
    'frob*',
    '*',
    'NEAR(frob audit, 2)',
    'frob AND (',
    ')))',
    'title:frob',
    '-frob',
    '^frob',
    "'; DROP TABLE tasks; --",
    'frob OR',
    '\\',
    '\u0000',
    '🙂 ✓',
  ])('answers the hostile query %j with 200 and a list', async (q) => {
    const result = dataOf<SearchResult>(await search(q));

    expect(Array.isArray(result.items)).toBe(true);
    for (const hit of result.items) expect(hit.task.workspaceId).toBe(team.workspaceId);
  });
});
