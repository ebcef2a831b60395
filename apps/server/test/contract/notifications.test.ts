// The black-box contract of docs/api.md (../../../../docs/api.md) for the inbox:
// notifications.list, markRead, unreadCount and preferences, over tRPC and REST. A real
// server on a loopback port, spoken to over raw HTTP; the notifications themselves are
// written through the server's database (support/notifications.ts), so this suite tests the
// inbox whatever derives notifications from changes.
import type { RouterOutputs } from '@trellis/client';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Account, accountsOn, type Team } from '../support/accounts.js';
import { serveThisFile } from '../support/http.js';
import { notifyDirectly } from '../support/notifications.js';
import { expectRestError, restOn } from '../support/rest.js';
import { dataOf, expectError, expectFieldErrors, ISO_INSTANT } from '../support/wire.js';

type Page = RouterOutputs['notifications']['list'];
type Preferences = RouterOutputs['notifications']['preferences']['get'];

const wire = serveThisFile();
const { query, mutate } = wire;
const { rest } = restOn(wire);
const { makeTeam, createWorkspace } = accountsOn(wire);

const keys = (page: Page) => page.items.map((item) => item.task.key);

describe('the inbox', () => {
  let team: Team;
  /** Writes `count` notifications for `to`, from the owner, in the team's workspace. */
  const notify = (to: Account, count: number, from = 1, workspaceId = team.workspaceId) =>
    notifyDirectly(wire.server.db, {
      userId: to.user.id,
      workspaceId,
      actorId: team.owner.user.id,
      count,
      from,
    });
  beforeAll(async () => {
    team = await makeTeam();
  });

  it('notifications.list pages newest first, with the documented shape', async () => {
    await notify(team.member, 3);
    const first = dataOf<Page>(await query('notifications.list', { limit: 2 }, team.member));
    expect(keys(first)).toEqual(['N-3', 'N-2']);
    expect(first.items[0]).toEqual({
      id: expect.any(String),
      kind: 'assigned',
      workspaceId: team.workspaceId,
      task: { id: expect.any(String), key: 'N-3', title: 'Task 3' },
      commentId: null,
      actor: { id: team.owner.user.id, name: team.owner.user.name },
      createdAt: expect.stringMatching(ISO_INSTANT),
      readAt: null,
    });
    expect(first.nextCursor).toEqual(expect.any(String));
    const rested = await rest('GET', '/notifications', {
      token: team.member.token,
      query: { limit: '2', cursor: first.nextCursor ?? '' },
    });
    expect(rested.status).toBe(200);
    const second = rested.json as Page;
    expect(keys(second)).toEqual(['N-1']);
    expect(second.nextCursor).toBeNull();

    // Another person's inbox is not this one.
    expect(dataOf<Page>(await query('notifications.list', {}, team.colleague)).items).toEqual([]);
    const bad = await rest('GET', '/notifications', {
      token: team.member.token,
      query: { cursor: 'not-a-cursor' },
    });
    expectRestError(bad, 400, 'BAD_REQUEST');
  });

  it('markRead marks only the caller’s own; unreadCount and unreadOnly follow', async () => {
    await notify(team.admin, 3);
    await notify(team.colleague, 1);
    const [colleagues] = dataOf<Page>(await query('notifications.list', {}, team.colleague)).items;
    const mine = dataOf<Page>(await query('notifications.list', {}, team.admin)).items;
    const count = async (account: Account) =>
      (await rest('GET', '/notifications/unread-count', { token: account.token })).json;
    expect(await count(team.admin)).toEqual({ count: 3 });

    const marked = await rest('POST', '/notifications/read', {
      token: team.admin.token,
      body: { ids: [mine[0]?.id, colleagues?.id, 'no-such-id'] },
    });
    expect([marked.status, marked.json]).toEqual([200, { marked: 1 }]);
    expect(await count(team.colleague)).toEqual({ count: 1 });
    expect(await count(team.admin)).toEqual({ count: 2 });
    const unread = dataOf<Page>(
      await query('notifications.list', { unreadOnly: true }, team.admin),
    );
    expect(keys(unread)).toEqual(['N-2', 'N-1']);
    const restUnread = await rest('GET', '/notifications', {
      token: team.admin.token,
      query: { unreadOnly: 'true' },
    });
    expect(keys(restUnread.json as Page)).toEqual(['N-2', 'N-1']);

    expect(dataOf(await mutate('notifications.markRead', { all: true }, team.admin))).toEqual({
      marked: 2,
    });
    expect(dataOf(await query('notifications.unreadCount', undefined, team.admin))).toEqual({
      count: 0,
    });
    expectFieldErrors(await mutate('notifications.markRead', {}, team.admin), ['ids']);
  });

  it('a removed member no longer sees, counts or marks that workspace’s notifications', async () => {
    const leaver = team.colleague;
    const own = await createWorkspace(leaver.token, 'Own');
    dataOf(await mutate('notifications.markRead', { all: true }, leaver));
    await notify(leaver, 2, 10);
    await notifyDirectly(wire.server.db, {
      userId: leaver.user.id,
      workspaceId: own.id,
      actorId: team.owner.user.id,
      count: 1,
      from: 20,
    });
    expect(dataOf(await query('notifications.unreadCount', undefined, leaver))).toEqual({
      count: 3,
    });
    dataOf(
      await mutate(
        'members.remove',
        { workspaceId: team.workspaceId, userId: leaver.user.id },
        team.owner,
      ),
    );
    // Only the notification from the workspace they still belong to is left.
    expect(dataOf(await query('notifications.unreadCount', undefined, leaver))).toEqual({
      count: 1,
    });
    expect(keys(dataOf<Page>(await query('notifications.list', {}, leaver)))).toEqual(['N-20']);
    expect(dataOf(await mutate('notifications.markRead', { all: true }, leaver))).toEqual({
      marked: 1,
    });
  });

  it('preferences answer the defaults and take partial updates, refusing bad values by field', async () => {
    const me = team.member;
    const defaults = (await rest('GET', '/notifications/preferences', { token: me.token }))
      .json as Preferences;
    expect(defaults).toEqual({
      kinds: {
        assigned: true,
        mentioned: true,
        commented: true,
        status_changed: true,
        due_soon: true,
        overdue: true,
      },
      email: true,
      emailIntervalMinutes: 15,
    });
    const patched = await rest('PATCH', '/notifications/preferences', {
      token: me.token,
      body: { kinds: { commented: false }, email: false },
    });
    expect([patched.status, patched.json]).toEqual([
      200,
      { ...defaults, kinds: { ...defaults.kinds, commented: false }, email: false },
    ]);
    expect(dataOf(await query('notifications.preferences.get', undefined, me))).toEqual(
      patched.json,
    );

    const bad = await rest('PATCH', '/notifications/preferences', {
      token: me.token,
      body: { emailIntervalMinutes: 0 },
    });
    expect(Object.keys(expectRestError(bad, 400, 'BAD_REQUEST').fieldErrors ?? {})).toEqual([
      'emailIntervalMinutes',
    ]);
    expectFieldErrors(
      await mutate('notifications.preferences.update', { kinds: { sometimes: true } }, me),
      ['kinds.sometimes'],
    );
  });

  it('is for people only: API tokens are refused, and nobody is asked to sign in', async () => {
    const created = dataOf<RouterOutputs['apiTokens']['create']>(
      await mutate(
        'apiTokens.create',
        { workspaceId: team.workspaceId, name: 'CI', scope: 'write' },
        team.owner,
      ),
    );
    expectError(await query('notifications.list', {}, { token: created.token }), 403, 'FORBIDDEN');
    expectRestError(
      await rest('GET', '/notifications/unread-count', { token: created.token }),
      403,
      'FORBIDDEN',
    );
    expectRestError(await rest('GET', '/notifications'), 401, 'UNAUTHORIZED');
    expectError(await mutate('notifications.markRead', { all: true }, {}), 401, 'UNAUTHORIZED');
  });
});
