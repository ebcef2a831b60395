import { describe, expect, it } from 'vitest';
import { fieldErrorsOf } from '../errors.js';
import { type Harness, harnessForEachTest, rejection, type TestClock } from '../test/harness.js';

const START = new Date('2030-06-01T09:00:00.000Z');
const MINUTE_MS = 60 * 1000;

let harness: Harness;
let clock: TestClock;

harnessForEachTest(START, (fresh, freshClock) => {
  harness = fresh;
  clock = freshClock;
});

/** An owner's workspace with an admin, a member and a viewer, and one outsider. */
async function team() {
  const owner = await harness.signUpUser('Olive Owner');
  const admin = await harness.signUpUser('Adam Admin');
  const member = await harness.signUpUser('Mia Member');
  const viewer = await harness.signUpUser('Vic Viewer');
  const outsider = await harness.signUpUser('Otto Outsider');
  const workspace = await owner.api.workspaces.create({ name: 'Acme', slug: 'acme' });
  const workspaceId = workspace.id;
  await harness.addMember(workspaceId, admin.user.id, 'admin');
  await harness.addMember(workspaceId, member.user.id, 'member');
  await harness.addMember(workspaceId, viewer.user.id, 'viewer');
  return { owner, admin, member, viewer, outsider, workspaceId };
}

/** An API token of the workspace, made by its owner, as a caller. */
async function tokenCaller(
  owner: Awaited<ReturnType<Harness['signUpUser']>>,
  workspaceId: string,
  scope: 'read' | 'write',
) {
  const { token } = await owner.api.apiTokens.create({ workspaceId, name: 'Bot', scope });
  return harness.as(token);
}

/** The workspace's activity log as stored, oldest first, with `data` parsed. */
async function activityOf(workspaceId: string) {
  const rows = await harness.db
    .selectFrom('activity')
    .select(['type', 'project_id', 'actor_id', 'data', 'created_at'])
    .where('workspace_id', '=', workspaceId)
    .orderBy('seq')
    .execute();
  return rows.map((row) => ({ ...row, data: JSON.parse(row.data) as unknown }));
}

describe('projects.create', () => {
  it('creates the project for an admin and logs project.created with it', async () => {
    const { admin, workspaceId } = await team();

    const project = await admin.api.projects.create({
      workspaceId,
      name: '  Engineering ',
      key: 'ENG',
    });

    expect(project).toEqual({
      id: expect.any(String),
      workspaceId,
      key: 'ENG',
      name: 'Engineering',
      archivedAt: null,
      createdAt: START.toISOString(),
      updatedAt: START.toISOString(),
    });
    expect(await admin.api.projects.get({ projectId: project.id })).toEqual(project);
    const row = await harness.db
      .selectFrom('projects')
      .select('next_task_number')
      .where('id', '=', project.id)
      .executeTakeFirstOrThrow();
    expect(row.next_task_number).toBe(1);
    expect(await activityOf(workspaceId)).toEqual([
      {
        type: 'project.created',
        project_id: project.id,
        actor_id: admin.user.id,
        data: { project },
        created_at: START.toISOString(),
      },
    ]);
  });

  it.each([
    ['lowercase', 'eng'],
    ['one letter', 'E'],
    ['eleven letters', 'ABCDEFGHIJK'],
    ['a digit', 'EN1'],
    ['a space', ' ENG'],
    ['a non-ASCII capital', 'ÉNG'],
  ])('refuses a key with %s, naming the key field', async (_, key) => {
    const { admin, workspaceId } = await team();

    const error = await rejection(admin.api.projects.create({ workspaceId, name: 'Eng', key }));

    expect(error.code).toBe('BAD_REQUEST');
    expect(Object.keys(fieldErrorsOf(error.cause) ?? {})).toEqual(['key']);
    expect(await admin.api.projects.list({ workspaceId, includeArchived: true })).toEqual([]);
  });

  it('accepts keys of 2 and 10 letters', async () => {
    const { admin, workspaceId } = await team();

    const short = await admin.api.projects.create({ workspaceId, name: 'Ops', key: 'OP' });
    const long = await admin.api.projects.create({ workspaceId, name: 'X', key: 'ABCDEFGHIJ' });

    expect([short.key, long.key]).toEqual(['OP', 'ABCDEFGHIJ']);
  });

  it('refuses a key the workspace already uses (archived projects included) with CONFLICT', async () => {
    const { admin, workspaceId } = await team();
    const first = await admin.api.projects.create({ workspaceId, name: 'Engineering', key: 'ENG' });
    await admin.api.projects.archive({ projectId: first.id });
    const logged = (await activityOf(workspaceId)).length;

    const error = await rejection(
      admin.api.projects.create({ workspaceId, name: 'Engines', key: 'ENG' }),
    );

    expect(error.code).toBe('CONFLICT');
    const names = await harness.db.selectFrom('projects').select('name').execute();
    expect(names).toEqual([{ name: 'Engineering' }]);
    // The log entry was in the failed transaction, so it is gone too.
    expect(await activityOf(workspaceId)).toHaveLength(logged);
  });

  it('lets two creates of one key race: one wins, the other gets CONFLICT', async () => {
    const { owner, admin, workspaceId } = await team();

    const outcomes = await Promise.allSettled([
      admin.api.projects.create({ workspaceId, name: 'Engineering', key: 'ENG' }),
      owner.api.projects.create({ workspaceId, name: 'Engines', key: 'ENG' }),
    ]);

    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    expect(failed?.reason).toMatchObject({ code: 'CONFLICT' });
    expect(await admin.api.projects.list({ workspaceId })).toHaveLength(1);
  });

  it('lets another workspace use the same key', async () => {
    const { admin, outsider, workspaceId } = await team();
    await admin.api.projects.create({ workspaceId, name: 'Engineering', key: 'ENG' });
    const other = await outsider.api.workspaces.create({ name: 'Other', slug: 'other' });

    const project = await outsider.api.projects.create({
      workspaceId: other.id,
      name: 'Engineering',
      key: 'ENG',
    });

    expect(project.workspaceId).toBe(other.id);
  });

  it('is for admins: members and write tokens get FORBIDDEN, outsiders NOT_FOUND', async () => {
    const { owner, member, outsider, workspaceId } = await team();
    const writeToken = await tokenCaller(owner, workspaceId, 'write');
    const input = { workspaceId, name: 'Engineering', key: 'ENG' };

    expect((await rejection(member.api.projects.create(input))).code).toBe('FORBIDDEN');
    expect((await rejection(writeToken.projects.create(input))).code).toBe('FORBIDDEN');
    expect((await rejection(outsider.api.projects.create(input))).code).toBe('NOT_FOUND');
    expect(await owner.api.projects.list({ workspaceId })).toEqual([]);
  });
});

describe('projects.list', () => {
  it('lists the workspace’s open projects by key, to viewers and read tokens', async () => {
    const { owner, admin, viewer, outsider, workspaceId } = await team();
    const ops = await admin.api.projects.create({ workspaceId, name: 'Operations', key: 'OPS' });
    const eng = await admin.api.projects.create({ workspaceId, name: 'Engineering', key: 'ENG' });
    const old = await admin.api.projects.create({ workspaceId, name: 'Legacy', key: 'OLD' });
    await admin.api.projects.archive({ projectId: old.id });
    const other = await outsider.api.workspaces.create({ name: 'Other', slug: 'other' });
    await outsider.api.projects.create({ workspaceId: other.id, name: 'Alien', key: 'AAA' });
    const readToken = await tokenCaller(owner, workspaceId, 'read');

    expect(await viewer.api.projects.list({ workspaceId })).toEqual([eng, ops]);
    expect(await readToken.projects.list({ workspaceId })).toEqual([eng, ops]);
  });

  it('includes archived projects when asked', async () => {
    const { admin, workspaceId } = await team();
    const ops = await admin.api.projects.create({ workspaceId, name: 'Operations', key: 'OPS' });
    const eng = await admin.api.projects.create({ workspaceId, name: 'Engineering', key: 'ENG' });
    const archived = await admin.api.projects.archive({ projectId: ops.id });

    const listed = await admin.api.projects.list({ workspaceId, includeArchived: true });

    expect(listed).toEqual([eng, archived]);
  });

  it('is NOT_FOUND for outsiders', async () => {
    const { outsider, workspaceId } = await team();

    const error = await rejection(outsider.api.projects.list({ workspaceId }));

    expect(error.code).toBe('NOT_FOUND');
  });
});

describe('projects.get', () => {
  it('is NOT_FOUND for an outsider and for an unknown id, alike', async () => {
    const { admin, outsider, workspaceId } = await team();
    const project = await admin.api.projects.create({ workspaceId, name: 'Eng', key: 'ENG' });

    const foreign = await rejection(outsider.api.projects.get({ projectId: project.id }));
    const unknown = await rejection(admin.api.projects.get({ projectId: 'no-such-project' }));

    expect([foreign.code, foreign.message]).toEqual(['NOT_FOUND', 'Project not found']);
    expect([unknown.code, unknown.message]).toEqual(['NOT_FOUND', 'Project not found']);
  });
});

describe('projects.update', () => {
  it('renames the project and logs the change', async () => {
    const { admin, viewer, workspaceId } = await team();
    const project = await admin.api.projects.create({ workspaceId, name: 'Eng', key: 'ENG' });
    clock.advance(MINUTE_MS);

    const renamed = await admin.api.projects.update({ projectId: project.id, name: 'Engineering' });

    const later = new Date(START.getTime() + MINUTE_MS).toISOString();
    expect(renamed).toEqual({ ...project, name: 'Engineering', updatedAt: later });
    expect(await viewer.api.projects.get({ projectId: project.id })).toEqual(renamed);
    const [, updated] = await activityOf(workspaceId);
    expect(updated).toEqual({
      type: 'project.updated',
      project_id: project.id,
      actor_id: admin.user.id,
      data: { changes: { name: { from: 'Eng', to: 'Engineering' } }, project: renamed },
      created_at: later,
    });
  });

  it('returns the project unchanged, logging nothing, when there is nothing to change', async () => {
    const { admin, workspaceId } = await team();
    const project = await admin.api.projects.create({ workspaceId, name: 'Eng', key: 'ENG' });
    clock.advance(MINUTE_MS);

    const same = await admin.api.projects.update({ projectId: project.id, name: 'Eng' });
    const empty = await admin.api.projects.update({ projectId: project.id });

    expect([same, empty]).toEqual([project, project]);
    expect((await activityOf(workspaceId)).map((entry) => entry.type)).toEqual(['project.created']);
  });

  it('is for admins: members get FORBIDDEN, outsiders NOT_FOUND', async () => {
    const { admin, member, outsider, workspaceId } = await team();
    const project = await admin.api.projects.create({ workspaceId, name: 'Eng', key: 'ENG' });
    const input = { projectId: project.id, name: 'Hijacked' };

    expect((await rejection(member.api.projects.update(input))).code).toBe('FORBIDDEN');
    expect((await rejection(outsider.api.projects.update(input))).code).toBe('NOT_FOUND');
    expect(await admin.api.projects.get({ projectId: project.id })).toEqual(project);
  });
});

describe('projects.archive', () => {
  it('sets archivedAt and logs project.archived', async () => {
    const { admin, workspaceId } = await team();
    const project = await admin.api.projects.create({ workspaceId, name: 'Eng', key: 'ENG' });
    clock.advance(MINUTE_MS);

    const archived = await admin.api.projects.archive({ projectId: project.id });

    const later = new Date(START.getTime() + MINUTE_MS).toISOString();
    expect(archived).toEqual({ ...project, archivedAt: later, updatedAt: later });
    expect(await admin.api.projects.get({ projectId: project.id })).toEqual(archived);
    const [, entry] = await activityOf(workspaceId);
    expect(entry).toMatchObject({ type: 'project.archived', data: { project: archived } });
  });

  it('is idempotent: archiving again keeps the first archivedAt and logs nothing more', async () => {
    const { admin, workspaceId } = await team();
    const project = await admin.api.projects.create({ workspaceId, name: 'Eng', key: 'ENG' });
    const archived = await admin.api.projects.archive({ projectId: project.id });
    clock.advance(MINUTE_MS);

    const again = await admin.api.projects.archive({ projectId: project.id });

    expect(again).toEqual(archived);
    expect((await activityOf(workspaceId)).map((entry) => entry.type)).toEqual([
      'project.created',
      'project.archived',
    ]);
  });

  it('is for admins: members get FORBIDDEN, outsiders NOT_FOUND', async () => {
    const { admin, member, outsider, workspaceId } = await team();
    const project = await admin.api.projects.create({ workspaceId, name: 'Eng', key: 'ENG' });

    const byMember = await rejection(member.api.projects.archive({ projectId: project.id }));
    const byOutsider = await rejection(outsider.api.projects.archive({ projectId: project.id }));

    expect([byMember.code, byOutsider.code]).toEqual(['FORBIDDEN', 'NOT_FOUND']);
    expect((await admin.api.projects.get({ projectId: project.id })).archivedAt).toBeNull();
  });
});
