// The black-box contract of docs/api.md (../../../../docs/api.md) for saved views: views.*
// over tRPC and REST, who sees and changes which view, and which changes are events. A
// personal view is its owner's alone: nobody else learns it exists, not from views.*,
// not from events.list or the activity log.
import type { RouterOutputs } from '@trellis/client';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Account, accountsOn, type Team, unique } from '../support/accounts.js';
import { serveThisFile } from '../support/http.js';
import { expectRestError, restOn } from '../support/rest.js';
import {
  type ActivityPage,
  dataOf,
  expectError,
  expectFieldErrors,
  type Project,
  type Reply,
  type TaskPage,
} from '../support/wire.js';
import { ids, workOn } from '../support/work.js';

type View = RouterOutputs['views']['get'];
type EventPage = RouterOutputs['events']['list'];

const wire = serveThisFile();
const { query, mutate } = wire;
const { rest } = restOn(wire);
const { makeTeam, join } = accountsOn(wire);
const { createProject, createTask, listTasks } = workOn(wire);

describe('saved views', () => {
  let team: Team;
  let viewer: Account;
  let project: Project;

  beforeAll(async () => {
    team = await makeTeam();
    viewer = await join(team.owner, team.workspaceId, 'viewer');
    project = await createProject(team.admin.token, team.workspaceId, 'VEW');
  });

  const create = (who: Account, fields: Record<string, unknown>) =>
    mutate(
      'views.create',
      { workspaceId: team.workspaceId, filters: {}, ...fields },
      { token: who.token },
    );
  const save = async (who: Account, fields: Record<string, unknown>) =>
    dataOf<View>(await create(who, { name: unique('View'), ...fields }));
  const get = (who: Account | string, viewId: string) =>
    query('views.get', { viewId }, { token: typeof who === 'string' ? who : who.token });
  const update = (who: Account, viewId: string, fields: Record<string, unknown>) =>
    mutate('views.update', { viewId, ...fields }, { token: who.token });
  const remove = (who: Account, viewId: string) =>
    mutate('views.delete', { viewId }, { token: who.token });
  const list = async (who: Account | string) =>
    dataOf<View[]>(
      await query(
        'views.list',
        { workspaceId: team.workspaceId },
        { token: typeof who === 'string' ? who : who.token },
      ),
    );
  /** Every event of the workspace, page by page. */
  async function allEvents(): Promise<EventPage['items']> {
    const events: EventPage['items'] = [];
    let after: string | undefined;
    for (;;) {
      const page = dataOf<EventPage>(
        await query(
          'events.list',
          { workspaceId: team.workspaceId, limit: 100, ...(after ? { after } : {}) },
          { token: team.owner.token },
        ),
      );
      events.push(...page.items);
      if (!page.hasMore) return events;
      after = page.items.at(-1)?.id;
    }
  }
  /** Every event and the newest activity entries of the workspace, as text. */
  async function logText(): Promise<string> {
    const { items: entries } = dataOf<ActivityPage>(
      await query(
        'activity.list',
        { workspaceId: team.workspaceId, limit: 100 },
        { token: team.owner.token },
      ),
    );
    return JSON.stringify([await allEvents(), entries]);
  }
  async function viewEvents(viewId: string) {
    return (await allEvents()).filter(
      (event) => event.type.startsWith('view.') && (event.data as View).id === viewId,
    );
  }

  it('saves a personal view with tasks.list’s filters; passing them to tasks.list applies it', async () => {
    const { member } = team;
    await createTask(member.token, project.id, { labels: ['bug'], assigneeId: member.user.id });
    await createTask(member.token, project.id, { labels: ['ui'] });
    const filters = {
      projectId: project.id,
      label: ['bug', 'ui'],
      labelMatch: 'any',
      assigneeId: [member.user.id, null],
      dueAfter: '2030-01-01T12:00:00+02:00',
      status: ['todo', 'backlog'],
    };
    const view = await save(member, { name: 'My bugs', filters, sort: 'priority', order: 'asc' });
    expect(view).toEqual({
      id: expect.any(String),
      workspaceId: team.workspaceId,
      name: 'My bugs',
      shared: false,
      ownerId: member.user.id,
      // Validated as tasks.list validates them: instants in UTC.
      filters: { ...filters, dueAfter: '2030-01-01T10:00:00.000Z' },
      sort: 'priority',
      order: 'asc',
      createdAt: expect.any(String),
      updatedAt: view.createdAt,
    });
    expect(dataOf<View>(await get(member, view.id))).toEqual(view);
    expect(await list(member)).toContainEqual(view);
    // Defaults: sort created, order desc, personal.
    const plain = await save(member, { filters: { q: 'crash' } });
    expect(plain).toMatchObject({
      shared: false,
      sort: 'created',
      order: 'desc',
      filters: { q: 'crash' },
    });

    const viaView = dataOf<TaskPage>(
      await listTasks(member.token, {
        workspaceId: team.workspaceId,
        ...view.filters,
        sort: view.sort,
        order: view.order,
      }),
    );
    const direct = dataOf<TaskPage>(
      await listTasks(member.token, {
        workspaceId: team.workspaceId,
        projectId: project.id,
        label: ['bug', 'ui'],
        assigneeId: [member.user.id, null],
        dueAfter: '2030-01-01T10:00:00Z',
        status: ['todo', 'backlog'],
        sort: 'priority',
        order: 'asc',
      }),
    );
    expect(ids(viaView.items)).toEqual(ids(direct.items));
  });

  it('a personal view is invisible to everyone else, admins and owners included', async () => {
    const secret = unique('Secret reorg plans');
    const before = await logText();
    const view = await save(team.member, { name: secret, filters: { label: 'reorg' } });
    for (const other of [team.colleague, team.admin, team.owner, viewer]) {
      for (const reply of [
        await get(other, view.id),
        await update(other, view.id, { name: 'Mine now' }),
        await remove(other, view.id),
      ]) {
        const error = expectError(reply, 404, 'NOT_FOUND');
        expect(error.message).toBe('View not found');
        expect(reply.text).not.toContain(secret);
      }
      expect(ids(await list(other))).not.toContain(view.id);
    }
    const outsider = await get(team.outsider, view.id);
    expectError(outsider, 404, 'NOT_FOUND');
    // Writing it, renaming it and deleting it leave nothing in the log.
    dataOf(await update(team.member, view.id, { name: `${secret} 2`, filters: { label: 'x' } }));
    dataOf(await remove(team.member, view.id));
    const after = await logText();
    expect(after).toBe(before);
    expect(after).not.toContain(secret);
  });

  it('viewers keep personal views; sharing needs member', async () => {
    const mine = await save(viewer, { filters: { status: ['todo'] } });
    expect(mine.ownerId).toBe(viewer.user.id);
    expect(dataOf<View>(await update(viewer, mine.id, { name: unique('Renamed') })).shared).toBe(
      false,
    );
    expectError(await create(viewer, { name: unique('Team'), shared: true }), 403, 'FORBIDDEN');
    expectError(await update(viewer, mine.id, { shared: true }), 403, 'FORBIDDEN');
    dataOf(await remove(viewer, mine.id));
    expectError(await get(viewer, mine.id), 404, 'NOT_FOUND');
  });

  it('a shared view is seen by every member; its owner or an admin changes it', async () => {
    const { member, colleague, admin, owner } = team;
    const view = await save(member, {
      name: unique('Team board'),
      shared: true,
      filters: { label: 'bug' },
    });
    for (const reader of [colleague, admin, owner, viewer]) {
      expect(dataOf<View>(await get(reader, view.id))).toEqual(view);
      expect(await list(reader)).toContainEqual(view);
    }
    // Not the owner, not an admin.
    expectError(await update(colleague, view.id, { name: 'Mine' }), 403, 'FORBIDDEN');
    expectError(await remove(colleague, view.id), 403, 'FORBIDDEN');
    expectError(await update(viewer, view.id, { name: 'Mine' }), 403, 'FORBIDDEN');
    // An admin edits it, but only its owner shares or unshares it.
    const renamed = dataOf<View>(
      await update(admin, view.id, { name: unique('Renamed board'), sort: 'due' }),
    );
    expect(renamed).toMatchObject({ ownerId: member.user.id, sort: 'due', shared: true });
    expectError(await update(admin, view.id, { shared: false }), 403, 'FORBIDDEN');
    // Filters are replaced whole.
    const refiltered = dataOf<View>(
      await update(member, view.id, { filters: { createdBy: member.user.id } }),
    );
    expect(refiltered.filters).toEqual({ createdBy: member.user.id });
    dataOf(await remove(owner, view.id));
    expectError(await get(member, view.id), 404, 'NOT_FOUND');
  });

  it('lists the caller’s own views, then the others’ shared ones, each by name', async () => {
    const { colleague } = team;
    const lister = await join(team.owner, team.workspaceId, 'member');
    const b = await save(lister, { name: 'B mine' });
    const a = await save(lister, { name: 'A mine', shared: true });
    const theirs = await save(colleague, { name: unique('0 theirs'), shared: true });
    const hidden = await save(colleague, { name: unique('0 hidden') });
    const seen = ids(await list(lister));
    expect(seen.slice(0, 2)).toEqual([a.id, b.id]);
    expect(seen).toContain(theirs.id);
    expect(seen).not.toContain(hidden.id);
  });

  it('only shared views are events: created, updated, deleted, and sharing or unsharing', async () => {
    const { member } = team;
    const view = await save(member, {
      name: unique('Sprint'),
      shared: true,
      filters: { label: 'bug' },
    });
    const updated = dataOf<View>(await update(member, view.id, { filters: { label: 'ui' } }));
    const unshared = dataOf<View>(
      await update(member, view.id, { shared: false, name: unique('Quiet') }),
    );
    // Changes while personal are not events.
    dataOf(await update(member, view.id, { name: unique('Still quiet') }));
    const shared = dataOf<View>(await update(member, view.id, { shared: true }));
    dataOf(await remove(member, view.id));
    const events = await viewEvents(view.id);
    expect(events.map((event) => [event.type, event.data])).toEqual([
      ['view.created', view],
      ['view.updated', updated],
      // Unsharing tells of the view as it was while shared, not its new name.
      ['view.deleted', updated],
      ['view.created', shared],
      ['view.deleted', shared],
    ]);
    expect(events[1]).toMatchObject({
      actor: { userId: member.user.id },
      changes: { filters: { from: { label: 'bug' }, to: { label: 'ui' } } },
    });
    expect(JSON.stringify(events)).not.toContain(unshared.name);
  });

  it('names are unique per owner: 409 for a second of the same name, not across owners', async () => {
    const name = unique('Backlog');
    const mine = await save(team.member, { name });
    expectError(await create(team.member, { name }), 409, 'CONFLICT');
    const other = await save(team.member, { name: unique('Other') });
    expectError(await update(team.member, other.id, { name }), 409, 'CONFLICT');
    // Another member (even sharing it) may use the name.
    dataOf(await create(team.colleague, { name, shared: true }));
    dataOf(await remove(team.member, mine.id));
  });

  it('refuses bad input with 400 naming the field', async () => {
    const refused = async (fields: Record<string, unknown>, field: string) =>
      expectFieldErrors(await create(team.member, { name: unique('Bad'), ...fields }), [field]);
    await refused({ filters: { labelMatch: 'all' } }, 'filters.labelMatch');
    await refused({ filters: { label: [] } }, 'filters.label');
    await refused({ filters: { dueBefore: 'soon' } }, 'filters.dueBefore');
    for (const key of ['workspaceId', 'cursor', 'limit', 'direction', 'sort']) {
      await refused({ filters: { [key]: 'x' } }, `filters.${key}`);
    }
    await refused({ sort: 'random' }, 'sort');
    await refused({ name: '' }, 'name');
    await refused({ filters: undefined }, 'filters');
    const view = await save(team.member, {});
    expectFieldErrors(await update(team.member, view.id, { filters: { assigneeId: [] } }), [
      'filters.assigneeId',
    ]);
    expectFieldErrors(await update(team.member, view.id, { filters: { labelMatch: 'any' } }), [
      'filters.labelMatch',
    ]);
  });

  it('API tokens act for their creator: read tokens read, write tokens save', async () => {
    const tokenOf = async (scope: 'read' | 'write') =>
      dataOf<{ token: string }>(
        await mutate(
          'apiTokens.create',
          { workspaceId: team.workspaceId, name: unique(scope), scope },
          { token: team.owner.token },
        ),
      ).token;
    const [read, write] = [await tokenOf('read'), await tokenOf('write')];
    const ownersPersonal = await save(team.owner, {});
    const membersPersonal = await save(team.member, {});
    expect(ids(await list(read))).toContain(ownersPersonal.id);
    expect(ids(await list(read))).not.toContain(membersPersonal.id);
    dataOf(await get(read, ownersPersonal.id));
    expectError(await get(read, membersPersonal.id), 404, 'NOT_FOUND');
    expectError(
      await mutate(
        'views.create',
        { workspaceId: team.workspaceId, name: unique('R'), filters: {} },
        { token: read },
      ),
      403,
      'FORBIDDEN',
    );
    const saved = dataOf<View>(
      await mutate(
        'views.create',
        { workspaceId: team.workspaceId, name: unique('W'), filters: {} },
        { token: write },
      ),
    );
    expect(saved.ownerId).toBe(team.owner.user.id);
  });

  it('over REST: POST and GET /workspaces/{id}/views, GET, PATCH and DELETE /views/{id}', async () => {
    const token = team.member.token;
    const created = await rest('POST', `/workspaces/${team.workspaceId}/views`, {
      token,
      body: { name: unique('Rest'), filters: { label: ['bug', 'ui'], labelMatch: 'all' } },
    });
    expect(created.status, created.text).toBe(201);
    const view = created.json as View;
    const listed = await rest('GET', `/workspaces/${team.workspaceId}/views`, { token });
    expect(ids(listed.json as View[])).toContain(view.id);
    expect((await rest('GET', `/views/${view.id}`, { token })).json).toEqual(view);
    const patched = await rest('PATCH', `/views/${view.id}`, { token, body: { order: 'asc' } });
    expect((patched.json as View).order).toBe('asc');
    expectRestError(
      await rest('GET', `/views/${view.id}`, { token: team.colleague.token }),
      404,
      'NOT_FOUND',
    );
    const deleted: Reply = await rest('DELETE', `/views/${view.id}`, { token });
    expect(deleted.status).toBe(200);
    expectRestError(await rest('GET', `/views/${view.id}`, { token }), 404, 'NOT_FOUND');
  });

  it('keeps at most 100 views per member in a workspace (409 past that)', async () => {
    const keeper = await join(team.owner, team.workspaceId, 'member');
    for (let i = 0; i < 100; i += 1) await save(keeper, { name: `View ${i}` });
    const error = expectError(await create(keeper, { name: 'One more' }), 409, 'CONFLICT');
    expect(error.message).toContain('100');
    // Someone else still may.
    dataOf(await create(team.colleague, { name: unique('Room') }));
  });
});
