import { testDatabaseDialect } from '@trellis/db/testing';
import { describe, expect, it } from 'vitest';
import { type ActivityEntry, recordActivity } from '../activity.js';
import { encodeCursor } from '../cursor.js';
import { fieldErrorsOf } from '../errors.js';
import { activityQuery } from '../queries/activity.js';
import { appRouter } from '../root.js';
import { type Harness, harnessForEachTest, rejection, type TestClock } from '../test/harness.js';
import { fillNeighbourWorkspace, postgresPlan } from '../test/postgres-plans.js';

const START = new Date('2030-06-01T09:00:00.000Z');
const SECOND_MS = 1000;

let harness: Harness;
let clock: TestClock;

harnessForEachTest(START, (fresh, freshClock) => {
  harness = fresh;
  clock = freshClock;
});

type SignedUp = Awaited<ReturnType<Harness['signUpUser']>>;

/** An owner with a workspace. */
async function workspaceOf(owner: SignedUp, slug = 'acme') {
  const workspace = await owner.api.workspaces.create({ name: slug, slug });
  return workspace.id;
}

/** Appends `count` entries a second apart, as the owner; returns their ids, oldest first. */
async function record(
  owner: SignedUp,
  workspaceId: string,
  count: number,
  entry: Partial<ActivityEntry> = {},
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    clock.advance(SECOND_MS);
    const { id } = await recordActivity(
      harness.db,
      {
        workspaceId,
        actor: { userId: owner.user.id, apiTokenId: null },
        type: 'task.updated',
        data: { n: i },
        ...entry,
      },
      clock.now(),
    );
    ids.push(id);
  }
  return ids;
}

/** Follows nextCursor to the end; returns every id seen, in order, and each page’s size. */
async function walk(
  list: (cursor: string | undefined) => Promise<{
    items: { id: string }[];
    nextCursor: string | null;
  }>,
) {
  const ids: string[] = [];
  const pages: number[] = [];
  let cursor: string | undefined;
  do {
    const page = await list(cursor);
    ids.push(...page.items.map((item) => item.id));
    pages.push(page.items.length);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return { ids, pages };
}

describe('activity.list', () => {
  it('returns who did what when, newest first, with the data as JSON', async () => {
    const owner = await harness.signUpUser('Olive Owner');
    const workspaceId = await workspaceOf(owner);
    const { id: tokenId, token } = await owner.api.apiTokens.create({
      workspaceId,
      name: 'CI',
      scope: 'write',
    });
    await record(owner, workspaceId, 1, {
      type: 'task.created',
      projectId: 'p1',
      taskId: 't1',
      data: { task: { title: 'Ship it', labels: ['a', 'b'] } },
    });
    await record(owner, workspaceId, 1, {
      actor: { userId: owner.user.id, apiTokenId: tokenId },
      type: 'comment.created',
      taskId: 't1',
      data: { body: '  verbatim  ' },
    });
    await record(owner, workspaceId, 1, { actor: null, type: 'member.left', data: {} });

    const page = await harness.as(token).activity.list({ workspaceId });

    expect(page).toEqual({
      items: [
        {
          id: expect.any(String),
          type: 'member.left',
          actor: null,
          apiTokenId: null,
          projectId: null,
          taskId: null,
          data: {},
          createdAt: '2030-06-01T09:00:03.000Z',
        },
        {
          id: expect.any(String),
          type: 'comment.created',
          actor: { userId: owner.user.id, name: 'Olive Owner' },
          apiTokenId: tokenId,
          projectId: null,
          taskId: 't1',
          data: { body: '  verbatim  ' },
          createdAt: '2030-06-01T09:00:02.000Z',
        },
        {
          id: expect.any(String),
          type: 'task.created',
          actor: { userId: owner.user.id, name: 'Olive Owner' },
          apiTokenId: null,
          projectId: 'p1',
          taskId: 't1',
          data: { task: { title: 'Ship it', labels: ['a', 'b'] } },
          createdAt: '2030-06-01T09:00:01.000Z',
        },
      ],
      nextCursor: null,
    });
  });

  it('shows entries that procedures write, such as a role change', async () => {
    const owner = await harness.signUpUser('Olive Owner');
    const mia = await harness.signUpUser('Mia Member');
    const workspaceId = await workspaceOf(owner);
    await harness.addMember(workspaceId, mia.user.id, 'member');

    await owner.api.members.updateRole({ workspaceId, userId: mia.user.id, role: 'admin' });

    const { items } = await mia.api.activity.list({ workspaceId });
    expect(items).toMatchObject([
      {
        type: 'member.role_changed',
        actor: { userId: owner.user.id, name: 'Olive Owner' },
        data: { userId: mia.user.id, changes: { role: { from: 'member', to: 'admin' } } },
      },
    ]);
  });

  it('tells one task’s story from the entries that task procedures write', async () => {
    const owner = await harness.signUpUser('Olive Owner');
    const workspaceId = await workspaceOf(owner);
    const project = await owner.api.projects.create({ workspaceId, name: 'Eng', key: 'ENG' });
    const task = await owner.api.tasks.create({ projectId: project.id, title: 'Draft' });
    await owner.api.tasks.create({ projectId: project.id, title: 'Another task' });
    clock.advance(SECOND_MS);
    await owner.api.tasks.update({
      taskId: task.id,
      expectedVersion: 1,
      patch: { title: 'Final' },
    });

    const { items } = await owner.api.activity.list({ workspaceId, taskId: task.id });

    expect(items).toMatchObject([
      {
        type: 'task.updated',
        taskId: task.id,
        projectId: project.id,
        data: { changes: { title: { from: 'Draft', to: 'Final' } }, task: { title: 'Final' } },
      },
      { type: 'task.created', taskId: task.id, data: { task: { title: 'Draft' } } },
    ]);
  });

  it('walks the whole log page by page, each entry exactly once, newest first', async () => {
    const owner = await harness.signUpUser('Olive Owner');
    const workspaceId = await workspaceOf(owner);
    const other = await workspaceOf(owner, 'other');
    const ids: string[] = [];
    // Interleaved with another workspace's entries, which must never show up.
    for (let i = 0; i < 5; i += 1) {
      ids.push(...(await record(owner, workspaceId, 5)));
      await record(owner, other, 2);
    }

    const { ids: walked, pages } = await walk((cursor) =>
      owner.api.activity.list({ workspaceId, cursor, limit: 7 }),
    );

    expect(pages).toEqual([7, 7, 7, 4]);
    expect(walked).toEqual(ids.toReversed());
  });

  it('keeps walking older entries, each once, while new ones are appended', async () => {
    const owner = await harness.signUpUser('Olive Owner');
    const workspaceId = await workspaceOf(owner);
    const original = await record(owner, workspaceId, 10);

    let appended = 0;
    const { ids } = await walk(async (cursor) => {
      const page = await owner.api.activity.list({ workspaceId, cursor, limit: 3 });
      appended += (await record(owner, workspaceId, 2)).length;
      return page;
    });

    expect(appended).toBe(8);
    expect(ids).toEqual(original.toReversed());
  });

  it('pages 50 entries at a time by default', async () => {
    const owner = await harness.signUpUser('Olive Owner');
    const workspaceId = await workspaceOf(owner);
    await record(owner, workspaceId, 51);

    const page = await owner.api.activity.list({ workspaceId });

    expect(page.items).toHaveLength(50);
    expect(page.nextCursor).toEqual(expect.any(String));
    const last = await owner.api.activity.list({ workspaceId, cursor: page.nextCursor ?? '' });
    expect(last.items.map((item) => item.data)).toEqual([{ n: 0 }]);
    expect(last.nextCursor).toBeNull();
  });

  it('lists one task’s entries, newest first, through its own pages', async () => {
    const owner = await harness.signUpUser('Olive Owner');
    const workspaceId = await workspaceOf(owner);
    const taskEntries: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      taskEntries.push(...(await record(owner, workspaceId, 1, { taskId: 'task-a' })));
      await record(owner, workspaceId, 1, { taskId: 'task-b' });
      await record(owner, workspaceId, 1, { type: 'member.joined' });
    }

    const { ids, pages } = await walk((cursor) =>
      owner.api.activity.list({ workspaceId, taskId: 'task-a', cursor, limit: 3 }),
    );

    expect(pages).toEqual([3, 1]);
    expect(ids).toEqual(taskEntries.toReversed());
  });

  it('returns nothing for a task of another workspace, even to a member of both', async () => {
    const owner = await harness.signUpUser('Olive Owner');
    const workspaceId = await workspaceOf(owner);
    const other = await workspaceOf(owner, 'other');
    await record(owner, other, 3, { taskId: 'their-task' });
    await record(owner, workspaceId, 2, { taskId: 'my-task' });

    const page = await owner.api.activity.list({ workspaceId, taskId: 'their-task' });

    expect(page).toEqual({ items: [], nextCursor: null });
  });

  it('is open to viewers and read tokens, and NOT_FOUND to non-members', async () => {
    const owner = await harness.signUpUser('Olive Owner');
    const viewer = await harness.signUpUser('Vic Viewer');
    const stranger = await harness.signUpUser('Sam Stranger');
    const workspaceId = await workspaceOf(owner);
    await harness.addMember(workspaceId, viewer.user.id, 'viewer');
    const { token } = await owner.api.apiTokens.create({ workspaceId, name: 'Bot', scope: 'read' });
    await record(owner, workspaceId, 2);

    expect((await viewer.api.activity.list({ workspaceId })).items).toHaveLength(2);
    expect((await harness.as(token).activity.list({ workspaceId })).items).toHaveLength(2);
    const error = await rejection(stranger.api.activity.list({ workspaceId }));
    expect(error.code).toBe('NOT_FOUND');
  });

  it.each([
    ['not base64 of a cursor', 'garbage'],
    ['empty', ''],
    ['a bare number', '12'],
    ['a position that cannot exist', encodeCursor({ seq: 0 })],
    ['a non-numeric position', encodeCursor({ seq: '12abc' })],
    ['beyond any safe position', encodeCursor({ seq: 2 ** 60 })],
    ['a position with extra fields', encodeCursor({ seq: 1, more: true })],
    ['longer than any cursor', 'A'.repeat(1025)],
  ])('refuses a cursor that is %s with BAD_REQUEST on the cursor field', async (_, cursor) => {
    const owner = await harness.signUpUser('Olive Owner');
    const workspaceId = await workspaceOf(owner);
    await record(owner, workspaceId, 2);

    const error = await rejection(owner.api.activity.list({ workspaceId, cursor }));

    expect(error.code).toBe('BAD_REQUEST');
    expect(Object.keys(fieldErrorsOf(error.cause) ?? {})).toEqual(['cursor']);
  });

  it.each([0, 101, 2.5])('refuses a limit of %s', async (limit) => {
    const owner = await harness.signUpUser('Olive Owner');
    const workspaceId = await workspaceOf(owner);

    const error = await rejection(owner.api.activity.list({ workspaceId, limit }));

    expect(error.code).toBe('BAD_REQUEST');
    expect(Object.keys(fieldErrorsOf(error.cause) ?? {})).toEqual(['limit']);
  });

  it('can only be read: no procedure edits or deletes entries', () => {
    const procedures = Object.keys(appRouter._def.procedures);

    expect(procedures.filter((path) => path.startsWith('activity.'))).toEqual(['activity.list']);
  });

  // SQLite only: these read SQLite's EXPLAIN QUERY PLAN text; PostgreSQL's check is next.
  it.runIf(testDatabaseDialect() === 'sqlite').each([
    ['the workspace', {}, 'activity_ws_wseq_idx (workspace_id=?)'],
    [
      'the workspace, from a cursor',
      { before: 9 },
      'activity_ws_wseq_idx (workspace_id=? AND workspace_seq<?)',
    ],
    ['one task', { taskId: 't' }, 'activity_task_wseq_idx (task_id=?)'],
    [
      'one task, from a cursor',
      { taskId: 't', before: 9 },
      'activity_task_wseq_idx (task_id=? AND workspace_seq<?)',
    ],
  ])('reads a page of %s straight from its index, in order', async (_, query, index) => {
    const compiled = activityQuery(harness.db, 'ws', { limit: 50, ...query }).compile();

    const { rows } = await harness.db.executeQuery<{ detail: string }>({
      ...compiled,
      sql: `explain query plan ${compiled.sql}`,
    });

    const plan = rows.map((row) => row.detail);
    expect(plan).toContain(`SEARCH activity USING INDEX ${index}`);
    // No sort step: the index already yields the newest entries first.
    expect(plan.filter((step) => step.includes('TEMP B-TREE'))).toEqual([]);
  });

  // PostgreSQL plans from table statistics, and picks whichever index is cheaper for the
  // data at hand: checked on a small workspace beside a big one (3,000 entries) and on the
  // big one, every page must come from an index on activity in log order.
  it.runIf(testDatabaseDialect() === 'postgres')(
    'reads every page through an index in log order on PostgreSQL, never scanning or sorting',
    async () => {
      const owner = await harness.signUpUser('Olive Owner');
      const small = await owner.api.workspaces.create({ name: 'Acme', slug: 'acme' });
      const big = await fillNeighbourWorkspace(harness.db, owner.user.id);
      const problems: string[] = [];
      for (const workspaceId of [small.id, big]) {
        for (const query of [
          {},
          { before: 900 },
          { taskId: `${big}-7` },
          { taskId: `${big}-7`, before: 900 },
        ]) {
          const plan = await postgresPlan(
            harness.db,
            activityQuery(harness.db, workspaceId, { limit: 50, ...query }).compile(),
          );
          const onActivity = plan.filter((node) => node['Relation Name'] === 'activity');
          // Led by workspace_id or task_id, in the workspace's numbering: nothing else
          // yields a workspace's entries in its order.
          const allowed = /^activity_(ws|task)_wseq_idx$/;
          const indexed = onActivity.every((node) => allowed.test(node['Index Name'] ?? ''));
          const sorted = plan.some((node) => node['Node Type'].includes('Sort'));
          if (onActivity.length !== 1 || !indexed || sorted) {
            const nodes = plan.map((node) => `${node['Node Type']} ${node['Index Name'] ?? ''}`);
            problems.push(`${JSON.stringify(query)}: ${nodes.join(' > ')}`);
          }
        }
      }
      expect(problems).toEqual([]);
    },
  );
});
