import { newId, TASK_STATUSES, type TaskStatus } from '@trellis/db';
import { TASK_SORTS } from '../queries/tasks-list.js';
import type { Harness } from './harness.js';
import { insertProjectRow, type StateIds } from './project-rows.js';

// The task-list tests' world, shared by the procedure's tests (routers/tasks-list.test.ts)
// and its query plans' (queries/tasks-list.test.ts). Fixture rows are written directly
// (fast, and every timestamp chosen on purpose); the tasks' triggers keep the search index
// in step.

/** When the fixture's timestamps start. */
export const START = new Date('2030-03-01T09:00:00.000Z');
export const MINUTE_MS = 60 * 1000;
export const DAY_MS = 24 * 60 * MINUTE_MS;
export const iso = (ms: number) => new Date(ms).toISOString();

type Api = Awaited<ReturnType<Harness['signUpUser']>>['api'];
/** What tasks.list takes. */
export type ListInput = Parameters<Api['tasks']['list']>[0];
export type Order = 'asc' | 'desc';
export type Sort = (typeof TASK_SORTS)[number];
/** The filters of a list input that the fixture's combinations use (one assignee, one label). */
export type Filters = Pick<ListInput, 'projectId' | 'status' | 'q'> & {
  assigneeId?: string | null;
  label?: string;
};

/** Both list orders. */
export const orders: Order[] = ['asc', 'desc'];
/** Every sort with both orders. */
export const everySortAndOrder = TASK_SORTS.flatMap((sort) =>
  orders.map((order) => ({ sort, order })),
);

/** A task as the fixture wrote it, with what a search for "crash" should find. */
export interface Row {
  id: string;
  workspaceId: string;
  projectId: string;
  status: TaskStatus;
  priority: number;
  assigneeId: string | null;
  labels: string[];
  dueAt: string | null;
  createdAt: string;
  updatedAt: string;
  mentionsCrash: boolean;
}

export type TaskSpec = Omit<Row, 'id' | 'mentionsCrash'> & {
  title: string;
  description?: string;
  comment?: string;
};

let taskNumber = 0;
/** Each fixture project's default states, by status. */
const statesOfProject = new Map<string, StateIds>();

/** Writes a task (with its labels, and a comment when the spec has one) as the fixture wants it. */
export async function insertTask(
  harness: Harness,
  createdBy: string,
  spec: TaskSpec,
): Promise<Row> {
  const id = newId();
  taskNumber += 1;
  await harness.db
    .insertInto('tasks')
    .values({
      id,
      workspace_id: spec.workspaceId,
      project_id: spec.projectId,
      number: taskNumber,
      title: spec.title,
      description: spec.description ?? '',
      status: spec.status,
      state_id: stateOf(spec.projectId, spec.status),
      priority: spec.priority,
      assignee_id: spec.assigneeId,
      due_at: spec.dueAt,
      created_by: createdBy,
      created_at: spec.createdAt,
      updated_at: spec.updatedAt,
      completed_at: null,
    })
    .execute();
  for (const label of spec.labels) {
    await harness.db
      .insertInto('task_labels')
      .values({ task_id: id, workspace_id: spec.workspaceId, label })
      .execute();
  }
  if (spec.comment !== undefined) {
    await harness.db
      .insertInto('comments')
      .values({
        id: newId(),
        workspace_id: spec.workspaceId,
        task_id: id,
        author_id: createdBy,
        body: spec.comment,
        created_at: spec.createdAt,
        updated_at: spec.createdAt,
      })
      .execute();
  }
  const text = [spec.title, spec.description, spec.comment].join(' ').toLowerCase();
  const { title: _, description: __, comment: ___, ...row } = spec;
  return { id, ...row, mentionsCrash: text.includes('crash') };
}

async function insertUser(harness: Harness, name: string): Promise<string> {
  const id = newId();
  const at = START.toISOString();
  await harness.db
    .insertInto('users')
    .values({
      id,
      email: `${name.toLowerCase()}-${id}@example.com`,
      name,
      handle: `${name.toLowerCase()}-${id.toLowerCase()}`,
      password_hash: null,
      created_at: at,
      updated_at: at,
    })
    .execute();
  return id;
}

async function insertProject(harness: Harness, workspaceId: string, key: string): Promise<string> {
  const id = newId();
  const at = START.toISOString();
  const states = await insertProjectRow(harness.db, {
    id,
    workspace_id: workspaceId,
    key,
    name: key,
    archived_at: null,
    // Past the fixture's numbers, so that tasks.create never collides with them.
    next_task_number: 10_000,
    created_at: at,
    updated_at: at,
  });
  statesOfProject.set(id, states);
  return id;
}

function stateOf(projectId: string, status: TaskStatus): string {
  const id = statesOfProject.get(projectId)?.[status];
  if (!id) throw new Error(`No states for fixture project ${projectId}`);
  return id;
}

/**
 * Acme (ours) with projects WEB and API, assignees Ada and Bob, and 42 tasks whose sort
 * keys tie in small groups (so that the id tie-break matters); a second workspace whose
 * 5 tasks would match every filter were they not elsewhere.
 */
export async function world(harness: Harness) {
  taskNumber = 0;
  const owner = await harness.signUpUser('Olive Owner');
  const acme = await owner.api.workspaces.create({ name: 'Acme', slug: 'acme' });
  const stranger = await harness.signUpUser('Sam Stranger');
  const other = await stranger.api.workspaces.create({ name: 'Other', slug: 'other' });
  const ada = await insertUser(harness, 'Ada');
  const bob = await insertUser(harness, 'Bob');
  for (const [workspaceId, userId] of [
    [acme.id, ada],
    [acme.id, bob],
    [other.id, ada],
  ] as const) {
    await harness.addMember(workspaceId, userId, 'member');
  }
  const web = await insertProject(harness, acme.id, 'WEB');
  const api = await insertProject(harness, acme.id, 'API');
  const elsewhere = await insertProject(harness, other.id, 'OTH');

  const tasks: Row[] = [];
  for (let i = 0; i < 40; i += 1) {
    tasks.push(
      await insertTask(harness, owner.user.id, {
        workspaceId: acme.id,
        projectId: i % 2 === 0 ? web : api,
        title: i % 5 === 2 ? `Crash on save #${i}` : `Polish page #${i}`,
        description: i % 7 === 3 ? 'It crashes when offline' : '',
        comment: i === 11 ? 'Saw a crash here too' : undefined,
        status: TASK_STATUSES[i % 5] ?? 'todo',
        priority: (i * 3) % 5,
        assigneeId: [ada, bob, null][i % 3] ?? null,
        labels: [...(i % 3 === 0 ? ['bug'] : []), ...(i % 4 === 0 ? ['ui'] : [])],
        dueAt: i % 4 === 1 ? null : iso(START.getTime() + (i % 7) * DAY_MS),
        createdAt: iso(START.getTime() + Math.floor(i / 3) * MINUTE_MS),
        updatedAt: iso(START.getTime() + 60 * MINUTE_MS + ((i * 7) % 11) * MINUTE_MS),
      }),
    );
  }
  // Two tasks that match every filter of `everyFilter` at once: each combination of
  // filters then has a second page, hence a cursor, for the query-plan test.
  for (const n of [1, 2]) {
    tasks.push(
      await insertTask(harness, owner.user.id, {
        workspaceId: acme.id,
        projectId: web,
        title: `Crash everywhere ${n}`,
        status: 'todo',
        priority: 2,
        assigneeId: ada,
        labels: ['bug'],
        dueAt: iso(START.getTime() + 3 * DAY_MS),
        createdAt: iso(START.getTime() + 30 * MINUTE_MS),
        updatedAt: iso(START.getTime() + 90 * MINUTE_MS),
      }),
    );
  }
  const foreign: Row[] = [];
  for (let i = 0; i < 5; i += 1) {
    foreign.push(
      await insertTask(harness, stranger.user.id, {
        workspaceId: other.id,
        projectId: elsewhere,
        title: `Crash in the other place #${i}`,
        status: 'todo',
        priority: 2,
        assigneeId: ada,
        labels: ['bug'],
        dueAt: null,
        createdAt: iso(START.getTime() + i * MINUTE_MS),
        updatedAt: iso(START.getTime() + i * MINUTE_MS),
      }),
    );
  }
  const everyFilter = {
    projectId: web,
    status: ['todo', 'in_progress'] as TaskStatus[],
    assigneeId: ada,
    label: 'bug',
    q: 'crash',
  };
  return {
    owner,
    stranger,
    acme,
    other,
    ada,
    bob,
    web,
    api,
    elsewhere,
    tasks,
    foreign,
    everyFilter,
  };
}
