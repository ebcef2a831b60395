import { newId, type TaskStatus } from '@trellis/db';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fieldErrorsOf } from '../errors.js';
import {
  createHarness,
  type Harness,
  rejection,
  type TestClock,
  testClock,
} from '../test/harness.js';
import {
  DAY_MS,
  everySortAndOrder,
  type Filters,
  insertTask,
  iso,
  type ListInput,
  MINUTE_MS,
  type Order,
  orders,
  type Row,
  type Sort,
  START,
  world as taskListWorld,
} from '../test/task-list-world.js';

// The fixture (test/task-list-world.ts) is written directly; listing goes through the real
// procedure. Its query plans are checked in queries/tasks-list.test.ts.

let harness: Harness;
let clock: TestClock;

beforeEach(async () => {
  // The clock (and so every task made through the API) runs a day after the fixture.
  clock = testClock(new Date(START.getTime() + DAY_MS));
  harness = await createHarness({ clock: clock.now });
});

afterEach(async () => {
  await harness.destroy();
});

type Api = Awaited<ReturnType<Harness['signUpUser']>>['api'];
const world = () => taskListWorld(harness);

function matches(task: Row, filters: Filters): boolean {
  return (
    (filters.projectId === undefined || task.projectId === filters.projectId) &&
    (filters.status === undefined || filters.status.includes(task.status)) &&
    (filters.assigneeId === undefined || task.assigneeId === filters.assigneeId) &&
    (filters.label === undefined || task.labels.includes(filters.label)) &&
    (filters.q === undefined || task.mentionsCrash)
  );
}

const compare = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);

/** The contract's order, computed independently of the SQL: key, then id; undated last. */
function byListOrder(sort: Sort, order: Order) {
  const direction = order === 'asc' ? 1 : -1;
  const key = (task: Row): string | number =>
    ({
      created: task.createdAt,
      updated: task.updatedAt,
      priority: task.priority,
      due: task.dueAt ?? '',
    })[sort];
  return (a: Row, b: Row) => {
    if (sort === 'due' && (a.dueAt === null) !== (b.dueAt === null)) {
      return a.dueAt === null ? 1 : -1;
    }
    return direction * (compare(key(a), key(b)) || compare(a.id, b.id));
  };
}

function expectedIds(tasks: Row[], filters: Filters, sort: Sort, order: Order): string[] {
  return tasks
    .filter((task) => matches(task, filters))
    .sort(byListOrder(sort, order))
    .map((task) => task.id);
}

/** Lists page by page; `between` runs after each page (to change the world mid-walk). */
async function walk(api: Api, input: ListInput, between?: () => Promise<void>) {
  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = await api.tasks.list({ ...input, cursor });
    pages.push(page.items.map((item) => item.id));
    cursor = page.nextCursor ?? undefined;
    if (cursor !== undefined) await between?.();
  } while (cursor !== undefined);
  return { pages, ids: pages.flat() };
}

describe('tasks.list filters and sorts', () => {
  it('returns exactly the matching tasks of the workspace, in the order asked for', async () => {
    const { owner, acme, ada, web, api, tasks, everyFilter } = await world();
    const filterSets: Filters[] = [
      {},
      { projectId: web },
      { projectId: api },
      { status: ['done'] },
      { status: ['backlog', 'canceled', 'in_progress'] },
      { assigneeId: ada },
      { assigneeId: null },
      { label: 'bug' },
      { label: 'ui' },
      { label: 'nobody-uses-this' },
      { q: 'crash' },
      { projectId: api, status: ['todo', 'done'], label: 'bug' },
      everyFilter,
    ];
    for (const filters of filterSets) {
      for (const { sort, order } of everySortAndOrder) {
        const page = await owner.api.tasks.list({
          workspaceId: acme.id,
          ...filters,
          sort,
          order,
          limit: 100,
        });
        const context = JSON.stringify({ filters, sort, order });
        expect(
          page.items.map((item) => item.id),
          context,
        ).toEqual(expectedIds(tasks, filters, sort, order));
        expect(page.nextCursor, context).toBeNull();
      }
    }
  });

  it('sorts by created, newest first, 50 to a page, unless told otherwise', async () => {
    const { owner, acme, web, tasks } = await world();
    for (let i = 0; i < 10; i += 1) {
      clock.advance(MINUTE_MS);
      await owner.api.tasks.create({ projectId: web, title: `Later #${i}` });
    }
    const page = await owner.api.tasks.list({ workspaceId: acme.id });
    expect(page.items).toHaveLength(50);
    expect(page.items.map((item) => item.title).slice(0, 3)).toEqual([
      'Later #9',
      'Later #8',
      'Later #7',
    ]);
    expect(page.items.slice(10).map((item) => item.id)).toEqual(
      expectedIds(tasks, {}, 'created', 'desc').slice(0, 40),
    );
    expect(page.nextCursor).not.toBeNull();
  });

  it('returns tasks as clients see them: key, labels and all', async () => {
    const { owner, acme, ada, web, tasks } = await world();
    const { items } = await owner.api.tasks.list({ workspaceId: acme.id, limit: 100 });
    const first = items.find((item) => item.id === tasks[0]?.id);
    const [backlog] = await owner.api.projects.states.list({ projectId: web });
    expect(first).toEqual({
      id: tasks[0]?.id,
      workspaceId: acme.id,
      projectId: web,
      key: 'WEB-1',
      title: 'Polish page #0',
      status: 'backlog',
      stateId: backlog?.id,
      priority: 0,
      assigneeId: ada,
      labels: ['bug', 'ui'],
      dueAt: iso(START.getTime()),
      version: 1,
      createdBy: owner.user.id,
      createdAt: iso(START.getTime()),
      updatedAt: iso(START.getTime() + 60 * MINUTE_MS),
      completedAt: null,
      number: 1,
      description: '',
      parentId: null,
    });
  });

  it('finds text in titles, descriptions and comments, by prefix, whatever the user typed', async () => {
    const { owner, acme, tasks } = await world();
    const list = (q: string) => owner.api.tasks.list({ workspaceId: acme.id, q, limit: 100 });
    const crashing = expectedIds(tasks, { q: 'crash' }, 'created', 'desc');
    expect(crashing.length).toBeGreaterThan(8);
    expect((await list('CRASH')).items.map((item) => item.id)).toEqual(crashing);
    expect((await list('"crash')).items.map((item) => item.id)).toEqual(crashing);
    for (const hostile of [
      '***',
      '"',
      '(',
      'NEAR(',
      'crash OR',
      'title:crash',
      '-',
      "'; drop table tasks; --",
    ]) {
      expect(Array.isArray((await list(hostile)).items), hostile).toBe(true);
    }
    expect((await list('***')).items).toEqual([]);
  });
});

describe('tasks.list cursor walk', () => {
  it('pages through every sort and order, 7 at a time, with no task twice and none missed', async () => {
    const { owner, acme, web, tasks } = await world();
    for (const filters of [
      {},
      { projectId: web, status: ['todo', 'done', 'backlog'] },
    ] as Filters[]) {
      for (const { sort, order } of everySortAndOrder) {
        const context = JSON.stringify({ filters, sort, order });
        const { pages, ids } = await walk(owner.api, {
          workspaceId: acme.id,
          ...filters,
          sort,
          order,
          limit: 7,
        });
        const expected = expectedIds(tasks, filters, sort, order);
        expect(ids, context).toEqual(expected);
        // Full pages until the last; 42 tasks make exactly 6, with no empty page after.
        expect(
          pages.slice(0, -1).every((page) => page.length === 7),
          context,
        ).toBe(true);
        expect(pages.length, context).toBe(Math.max(1, Math.ceil(expected.length / 7)));
      }
    }
  });

  for (const order of orders) {
    it(`sees each original task exactly once while tasks are created during the walk (${order})`, async () => {
      const { owner, acme, web, ada, tasks } = await world();
      const newer: string[] = [];
      const older: string[] = [];
      const { ids } = await walk(
        owner.api,
        { workspaceId: acme.id, sort: 'created', order, limit: 7 },
        async () => {
          // One through the API (created now, after every original) and one written with
          // a creation time before every original.
          clock.advance(MINUTE_MS);
          const created = await owner.api.tasks.create({
            projectId: web,
            title: 'Arrived mid-walk',
          });
          newer.push(created.id);
          const at = iso(START.getTime() - (older.length + 1) * MINUTE_MS);
          const backdated = await insertTask(harness, owner.user.id, {
            workspaceId: acme.id,
            projectId: web,
            title: 'Backdated mid-walk',
            status: 'todo',
            priority: 1,
            assigneeId: ada,
            labels: [],
            dueAt: null,
            createdAt: at,
            updatedAt: at,
          });
          older.push(backdated.id);
        },
      );
      const originals = tasks.map((task) => task.id);
      expect(ids.filter((id) => originals.includes(id)).sort()).toEqual([...originals].sort());
      expect(new Set(ids).size).toBe(ids.length);
      expect(newer.length).toBeGreaterThanOrEqual(5);
      // A page continues from the last row seen: what lands behind it is not revisited,
      // what lands ahead of it is met in its place.
      const inOrder = expectedIds(tasks, {}, 'created', order);
      expect(ids).toEqual(order === 'desc' ? [...inOrder, ...older] : [...inOrder, ...newer]);
    });
  }
});

describe('tasks.list input', () => {
  it('refuses a limit outside 1–100, statuses that are empty, repeated or unknown', async () => {
    const { owner, acme } = await world();
    const workspaceId = acme.id;
    const fields = async (input: ListInput) =>
      Object.keys(fieldErrorsOf((await rejection(owner.api.tasks.list(input))).cause) ?? {});
    for (const limit of [0, 101, 2.5])
      expect(await fields({ workspaceId, limit })).toEqual(['limit']);
    expect(await fields({ workspaceId, status: [] })).toEqual(['status']);
    expect(await fields({ workspaceId, status: ['todo', 'todo'] })).toEqual(['status']);
    expect(await fields({ workspaceId, status: ['someday' as TaskStatus] })).toEqual(['status.0']);
    expect(await fields({ workspaceId, q: '   ' })).toEqual(['q']);
    // NUL never reaches the database (PostgreSQL refuses it even as a parameter).
    expect(await fields({ workspaceId, label: 'bug\u0000' })).toEqual(['label']);
    expect(await fields({ workspaceId, assigneeId: 'a\u0000' })).toEqual(['assigneeId']);
    expect(await fields({ workspaceId, sort: 'title' as Sort })).toEqual(['sort']);
    expect(await fields({ workspaceId, page: 2 } as ListInput)).toEqual(['page']);
    const error = await rejection(owner.api.tasks.list({ workspaceId, limit: 0 }));
    expect(error.code).toBe('BAD_REQUEST');
  });

  it('refuses a garbled or forged cursor with BAD_REQUEST, never a server error', async () => {
    const { owner, acme } = await world();
    const workspaceId = acme.id;
    const { nextCursor } = await owner.api.tasks.list({ workspaceId, sort: 'priority', limit: 3 });
    const forged = JSON.parse(Buffer.from(nextCursor ?? '', 'base64url').toString());
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const cursor of [
      'garbage',
      '%%%',
      encode({}),
      encode('just a string'),
      encode({ ...forged, i: '' }),
      encode({ ...forged, k: 'high' }), // a text key for a numeric sort
      encode({ ...forged, extra: 1 }),
    ]) {
      const error = await rejection(
        owner.api.tasks.list({ workspaceId, sort: 'priority', cursor }),
      );
      expect(error.code, cursor).toBe('BAD_REQUEST');
      expect(fieldErrorsOf(error.cause), cursor).toEqual({ cursor: ['Invalid cursor'] });
    }
  });

  it('takes `direction: "forward"` (tRPC infinite queries send it) and refuses backward', async () => {
    const { owner, acme } = await world();
    const workspaceId = acme.id;
    const first = await owner.api.tasks.list({ workspaceId, sort: 'priority', limit: 3 });
    const next = await owner.api.tasks.list({
      workspaceId,
      sort: 'priority',
      limit: 3,
      cursor: first.nextCursor ?? '',
      direction: 'forward',
    });
    expect(next.items.map((task) => task.id)).not.toContain(first.items[0]?.id);

    const input = { workspaceId, direction: 'backward' } as unknown as ListInput;
    const error = await rejection(owner.api.tasks.list(input));
    expect(error.code).toBe('BAD_REQUEST');
    expect(fieldErrorsOf(error.cause)).toEqual({
      direction: ['Pages only go forward: pass back nextCursor'],
    });
  });

  it('refuses a cursor from a different sort, order or filter', async () => {
    const { owner, acme, web } = await world();
    const workspaceId = acme.id;
    const first = await owner.api.tasks.list({ workspaceId, sort: 'priority', limit: 3 });
    const cursor = first.nextCursor ?? '';
    const mismatched: ListInput[] = [
      { workspaceId, sort: 'due', cursor },
      { workspaceId, sort: 'priority', order: 'asc', cursor },
      { workspaceId, sort: 'priority', projectId: web, cursor },
      { workspaceId, sort: 'priority', assigneeId: null, cursor },
      { workspaceId, sort: 'priority', q: 'crash', cursor },
    ];
    for (const input of mismatched) {
      const error = await rejection(owner.api.tasks.list(input));
      expect(error.code).toBe('BAD_REQUEST');
      expect(fieldErrorsOf(error.cause)?.cursor?.[0]).toMatch(/does not match this query/);
    }
    // The page size may change between pages.
    const next = await owner.api.tasks.list({ workspaceId, sort: 'priority', limit: 10, cursor });
    expect(next.items).toHaveLength(10);
  });
});

describe('tasks.list tenancy and roles', () => {
  it('never shows another workspace’s tasks, whatever the filters', async () => {
    const { owner, stranger, acme, other, ada, tasks, foreign } = await world();
    const foreignIds = new Set(foreign.map((task) => task.id));
    for (const filters of [
      {},
      { assigneeId: ada },
      { label: 'bug' },
      { q: 'crash' },
    ] as Filters[]) {
      const { ids } = await walk(owner.api, { workspaceId: acme.id, ...filters, limit: 100 });
      expect(ids.filter((id) => foreignIds.has(id))).toEqual([]);
      expect(ids).toEqual(expectedIds(tasks, filters, 'created', 'desc'));
    }
    const theirs = await stranger.api.tasks.list({
      workspaceId: other.id,
      label: 'bug',
      q: 'crash',
    });
    expect(theirs.items.map((item) => item.id)).toEqual(
      expectedIds(foreign, {}, 'created', 'desc'),
    );
    // Naming their project, or a cursor minted over there, gives nothing away either.
    const error = await rejection(
      owner.api.tasks.list({ workspaceId: acme.id, projectId: foreign[0]?.projectId }),
    );
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toBe('Project not found');
    const missing = await rejection(
      owner.api.tasks.list({ workspaceId: acme.id, projectId: newId() }),
    );
    expect(missing.message).toBe('Project not found');
    const page = await stranger.api.tasks.list({ workspaceId: other.id, limit: 2 });
    const borrowed = await rejection(
      owner.api.tasks.list({ workspaceId: acme.id, limit: 2, cursor: page.nextCursor ?? '' }),
    );
    expect(borrowed.code).toBe('BAD_REQUEST');
  });

  it('lets viewers and read tokens list, and hides the workspace from outsiders', async () => {
    const { owner, stranger, acme, tasks } = await world();
    const viewer = await harness.signUpUser('Vic Viewer');
    await harness.addMember(acme.id, viewer.user.id, 'viewer');
    const { token } = await owner.api.apiTokens.create({
      workspaceId: acme.id,
      name: 'ci',
      scope: 'read',
    });
    const all = expectedIds(tasks, {}, 'created', 'desc');
    for (const api of [viewer.api, harness.as(token)]) {
      const page = await api.tasks.list({ workspaceId: acme.id, limit: 100 });
      expect(page.items.map((item) => item.id)).toEqual(all);
    }
    const error = await rejection(stranger.api.tasks.list({ workspaceId: acme.id }));
    expect(error.code).toBe('NOT_FOUND');
  });
});
