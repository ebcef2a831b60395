// The black-box contract of docs/api.md (../../../../docs/api.md) for people: mentions,
// watchers and handles, over HTTP with the real @trellis/client (and REST for the routes).
// A mention notifies exactly the mentioned members; mentioning a non-member notifies nobody
// and answers exactly as a name nobody holds.
import { createClient, type RouterOutputs, type TrellisClient } from '@trellis/client';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Account, accountsOn, type Team } from '../support/accounts.js';
import { serveThisFile } from '../support/http.js';
import { expectRestError, restOn } from '../support/rest.js';
import { expectFieldErrors } from '../support/wire.js';

type Comment = RouterOutputs['comments']['create'];
type Page = RouterOutputs['notifications']['list'];

const wire = serveThisFile();
const { rest } = restOn(wire);
const { makeTeam, signUp } = accountsOn(wire);

describe('mentions, watchers and handles', () => {
  let team: Team;
  let as: (account: Account) => TrellisClient;
  let projectId: string;

  beforeAll(async () => {
    team = await makeTeam();
    as = (account) => createClient({ url: wire.server.url, token: account.token });
    const project = await as(team.owner).projects.create.mutate({
      workspaceId: team.workspaceId,
      name: 'People',
      key: 'PPL',
    });
    projectId = project.id;
  });

  /** Every notification stored for these accounts, as `kind→email`, sorted. */
  async function told(...accounts: Account[]): Promise<string[]> {
    const rows = await wire.server.db
      .selectFrom('notifications')
      .select(['user_id', 'kind'])
      .where(
        'user_id',
        'in',
        accounts.map((a) => a.user.id),
      )
      .execute();
    const byId = new Map(accounts.map((a) => [a.user.id, a.email]));
    return rows.map((row) => `${row.kind}→${byId.get(row.user_id)}`).sort();
  }

  it('a comment’s mention notifies exactly the mentioned members', async () => {
    const task = await as(team.member).tasks.create.mutate({ projectId, title: 'Mentioned' });
    const before = await told(team.owner, team.admin, team.colleague, team.outsider);

    const comment = await as(team.member).comments.create.mutate({
      taskId: task.id,
      body: `@${team.admin.user.handle} and @${team.colleague.email.toUpperCase()}: see this.`,
    });

    expect(comment.mentions).toEqual([
      {
        userId: team.admin.user.id,
        text: `@${team.admin.user.handle}`,
        name: team.admin.user.name,
        handle: team.admin.user.handle,
      },
      {
        userId: team.colleague.user.id,
        text: `@${team.colleague.email.toUpperCase()}`,
        name: team.colleague.user.name,
        handle: team.colleague.user.handle,
      },
    ]);
    expect(await told(team.owner, team.admin, team.colleague, team.outsider)).toEqual(
      [...before, `mentioned→${team.admin.email}`, `mentioned→${team.colleague.email}`].sort(),
    );
    // The inbox shows it (the mentioned member's), with the comment it came from.
    const inbox: Page = await as(team.admin).notifications.list.query({});
    expect(inbox.items[0]).toMatchObject({
      kind: 'mentioned',
      commentId: comment.id,
      task: { id: task.id, key: task.key, title: 'Mentioned' },
      actor: { id: team.member.user.id },
    });
    // Mentioned members now watch; the task's detail lists the description's mentions.
    const detail = await as(team.owner).tasks.get.query({ taskId: task.id });
    expect([...detail.watcherIds].sort()).toEqual(
      [team.member.user.id, team.admin.user.id, team.colleague.user.id].sort(),
    );
  });

  it('a non-member’s handle or email notifies nobody and answers as a name nobody holds', async () => {
    const task = await as(team.member).tasks.create.mutate({ projectId, title: 'Private' });
    const stranger = await signUp('stranger');
    const before = await told(team.outsider, stranger);

    const toThem = await as(team.member).comments.create.mutate({
      taskId: task.id,
      body: `@${team.outsider.user.handle} @${stranger.email}`,
    });
    const toNobody = await as(team.member).comments.create.mutate({
      taskId: task.id,
      body: '@no-such-handle @no-such-person@example.com',
    });

    const shape = ({ mentions, edited, authorId, authorName, taskId }: Comment) => ({
      mentions,
      edited,
      authorId,
      authorName,
      taskId,
    });
    expect(shape(toThem)).toEqual(shape(toNobody));
    expect(toThem.mentions).toEqual([]);
    expect(await told(team.outsider, stranger)).toEqual(before);
    const listed = await as(team.owner).comments.list.query({ taskId: task.id });
    expect(listed.items.map((c) => c.mentions)).toEqual([[], []]);
    // Over REST too: a mention of a non-member in a description stores nothing.
    const created = await rest('POST', `/projects/${projectId}/tasks`, {
      token: team.member.token,
      body: { title: 'Described', description: `cc @${team.outsider.user.handle}` },
    });
    expect(created.status).toBe(201);
    const got = await rest('GET', `/tasks/${(created.json as { id: string }).id}`, {
      token: team.member.token,
    });
    expect((got.json as { mentions: unknown[] }).mentions).toEqual([]);
  });

  it('tasks.watch / tasks.unwatch over REST, for people and not tokens', async () => {
    const task = await as(team.owner).tasks.create.mutate({ projectId, title: 'Watch me' });
    const watch = await rest('POST', `/tasks/${task.id}/watch`, { token: team.colleague.token });
    expect([watch.status, watch.json]).toEqual([200, { watching: true }]);
    await as(team.member).comments.create.mutate({ taskId: task.id, body: 'News' });
    expect(await told(team.colleague)).toContain(`commented→${team.colleague.email}`);

    const unwatch = await rest('DELETE', `/tasks/${task.id}/watch`, {
      token: team.colleague.token,
    });
    expect([unwatch.status, unwatch.json]).toEqual([200, { watching: false }]);
    const outsider = await rest('POST', `/tasks/${task.id}/watch`, {
      token: team.outsider.token,
    });
    expectRestError(outsider, 404, 'NOT_FOUND');
  });

  it('auth.updateProfile changes the handle; a taken one is 409, a bad one 400 naming it', async () => {
    const person = await signUp('renamer');
    const changed = await rest('PATCH', '/me/profile', {
      token: person.token,
      body: { handle: `Renamed-${process.pid}` },
    });
    expect(changed.status).toBe(200);
    expect(changed.json).toEqual({ ...person.user, handle: `renamed-${process.pid}` });

    const taken = await rest('PATCH', '/me/profile', {
      token: person.token,
      body: { handle: team.admin.user.handle },
    });
    expectRestError(taken, 409, 'CONFLICT');
    expect(taken.text).toContain('handle');
    const bad = await wire.mutate(
      'auth.updateProfile',
      { handle: 'no spaces' },
      { token: person.token },
    );
    expectFieldErrors(bad, ['handle']);
  });
});
