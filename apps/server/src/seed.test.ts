import { authenticateWithPassword } from '@trellis/auth';
import { type Database, type Kysely, matchingTaskIds } from '@trellis/db';
import { createTestDatabase, type TestDatabase } from '@trellis/db/testing';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, DEMO_USERS } from './seed-data.js';
import { runScript } from './test/main-process.js';

// The seed script as a developer runs it (`pnpm seed`): a child process configured through
// the environment, checked by what it leaves in the database (the dialect under test).

let database: TestDatabase;
let databaseUrl: string;

/** A fresh, empty database; `cleanUp` deletes it. */
async function useFreshDatabase() {
  database = await createTestDatabase();
  databaseUrl = database.url;
}

async function cleanUp() {
  await database.destroy();
}

/** Runs the seed script with `args` to its end; resolves with its exit code and output. */
function runSeed(...args: string[]) {
  return runScript('seed', args, { DATABASE_URL: databaseUrl });
}

function openDatabase(): Kysely<Database> {
  return database.db;
}

async function workspaceBySlug(slug: string) {
  return openDatabase()
    .selectFrom('workspaces')
    .select(['id', 'name'])
    .where('slug', '=', slug)
    .executeTakeFirstOrThrow();
}

/** Per project of the workspace: its key, next number, task count and highest number. */
function projectNumbers(workspaceId: string) {
  return openDatabase()
    .selectFrom('projects')
    .leftJoin('tasks', 'tasks.project_id', 'projects.id')
    .select([
      'projects.key',
      'projects.next_task_number as next',
      sql<number>`count(tasks.id)`.as('tasks'),
      sql<number>`count(distinct tasks.number)`.as('distinctNumbers'),
      sql<number>`coalesce(max(tasks.number), 0)`.as('highest'),
    ])
    .where('projects.workspace_id', '=', workspaceId)
    .groupBy(['projects.id', 'projects.key', 'projects.next_task_number'])
    .orderBy('projects.key')
    .execute();
}

async function countOf(
  table: 'tasks' | 'comments' | 'activity' | 'memberships' | 'task_search_docs',
  workspaceId: string,
) {
  const { count } = await openDatabase()
    .selectFrom(table)
    .select(sql<number>`count(*)`.as('count'))
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirstOrThrow();
  return count;
}

describe('pnpm seed --tasks 300 on a fresh database', () => {
  let run: Awaited<ReturnType<typeof runSeed>>;
  let seededAt: number;

  beforeAll(async () => {
    await useFreshDatabase();
    seededAt = Date.now();
    run = await runSeed('--tasks', '300');
  });
  afterAll(cleanUp);

  it('fills a fresh database with a demo workspace of --tasks tasks, exit code 0', async () => {
    expect(run).toMatchObject({ code: 0, stderr: expect.stringContaining('\r  tasks 300/300') });
    for (const user of DEMO_USERS) expect(run.stdout).toContain(user.email);
    expect(run.stdout).toContain(DEMO_PASSWORD);
    const workspace = await workspaceBySlug('demo');
    expect(await countOf('tasks', workspace.id)).toBe(300);
    expect(await countOf('memberships', workspace.id)).toBe(DEMO_USERS.length);
    expect(await countOf('comments', workspace.id)).toBeGreaterThan(0);
    // One task.created entry per task, plus one per comment.
    expect(await countOf('activity', workspace.id)).toBe(
      300 + (await countOf('comments', workspace.id)),
    );
  });

  it('gives tasks assignees (some none), labels and due dates (some none)', async () => {
    const database = openDatabase();
    const tasks = await database.selectFrom('tasks').select(['assignee_id', 'due_at']).execute();
    const labelled = await database
      .selectFrom('task_labels')
      .select(sql<number>`count(distinct task_id)`.as('count'))
      .executeTakeFirstOrThrow();

    const assignees = new Set(tasks.map((task) => task.assignee_id));
    expect(assignees.has(null)).toBe(true);
    expect(assignees.size).toBeGreaterThan(3);
    expect(tasks.filter((task) => task.due_at !== null).length).toBeGreaterThan(0);
    expect(tasks.filter((task) => task.due_at === null).length).toBeGreaterThan(0);
    expect(labelled.count).toBeGreaterThan(0);
    expect(labelled.count).toBeLessThan(300);
  });

  it('counts what fell due before now as reminded: a first reminder pass sends none of it', async () => {
    const database = openDatabase();
    const now = new Date().toISOString();
    const tasks = await database
      .selectFrom('tasks')
      .select(['due_at', 'due_soon_sent_for', 'overdue_sent_for'])
      .where('due_at', 'is not', null)
      .execute();
    const past = tasks.filter((task) => (task.due_at ?? '') <= now);
    const ahead = tasks.filter((task) => (task.due_at ?? '') > now);
    expect(past.length).toBeGreaterThan(0);
    for (const task of past) {
      expect(task).toEqual({
        due_at: task.due_at,
        due_soon_sent_for: task.due_at,
        overdue_sent_for: task.due_at,
      });
    }
    for (const task of ahead) expect(task.overdue_sent_for).toBeNull();
  });

  it('numbers each project’s tasks 1…n and leaves next_task_number at n + 1', async () => {
    const projects = await projectNumbers((await workspaceBySlug('demo')).id);

    expect(projects.map((project) => project.key)).toEqual(['DES', 'ENG', 'MOB', 'OPS', 'WEB']);
    for (const project of projects) {
      expect(project.tasks, project.key).toBeGreaterThan(0);
      expect(project, project.key).toEqual({
        ...project,
        distinctNumbers: project.tasks,
        highest: project.tasks,
        next: project.tasks + 1,
      });
    }
    expect(projects.reduce((sum, project) => sum + project.tasks, 0)).toBe(300);
  });

  it('gives done tasks, and only them, a completion time, all within the last 90 days', async () => {
    const tasks = await openDatabase()
      .selectFrom('tasks')
      .select(['status', 'created_at', 'completed_at'])
      .execute();
    expect(new Set(tasks.map((task) => task.status))).toEqual(
      new Set(['backlog', 'todo', 'in_progress', 'done', 'canceled']),
    );
    for (const task of tasks) {
      expect(task.completed_at !== null, task.status).toBe(task.status === 'done');
      expect(Date.parse(task.created_at)).toBeGreaterThan(seededAt - 90 * 24 * 60 * 60 * 1000);
      const completed = Date.parse(task.completed_at ?? task.created_at);
      expect(completed).toBeGreaterThanOrEqual(Date.parse(task.created_at));
      expect(completed).toBeLessThanOrEqual(Date.now());
    }
  });

  it('makes the tasks searchable', async () => {
    const db = openDatabase();
    const task = await db
      .selectFrom('tasks')
      .select(['id', 'title', 'workspace_id'])
      .orderBy('number')
      .executeTakeFirstOrThrow();
    const word = task.title.split(' ').at(-1) ?? '';

    // The search index of the dialect under test (FTS5 on SQLite, tsvector on PostgreSQL).
    const hits = await matchingTaskIds(db, task.workspace_id, word)?.execute();

    expect(hits?.map((hit) => hit.task_id)).toContain(task.id);
    expect(await countOf('task_search_docs', task.workspace_id)).toBe(300);
  });

  it('creates demo users who can sign in with the printed password', async () => {
    for (const { email, name } of DEMO_USERS) {
      const user = await authenticateWithPassword(openDatabase(), email, DEMO_PASSWORD);
      expect(user, email).toMatchObject({ email, name });
    }
  });
});

describe('pnpm seed', () => {
  beforeEach(useFreshDatabase);
  afterEach(cleanUp);

  it('adds a second workspace when run again, reusing the users', async () => {
    await runSeed('--tasks', '20');

    const again = await runSeed('--tasks', '30');

    expect(again.code).toBe(0);
    expect(again.stdout).toContain('(demo-2)');
    const second = await workspaceBySlug('demo-2');
    expect(await countOf('tasks', second.id)).toBe(30);
    expect(await countOf('tasks', (await workspaceBySlug('demo')).id)).toBe(20);
    const users = await openDatabase().selectFrom('users').select('email').execute();
    expect(users).toHaveLength(DEMO_USERS.length);
  });

  it('prints usage with --help and changes nothing', async () => {
    const run = await runSeed('--help');

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: pnpm seed \[--tasks N\]/);
    expect(run.stdout).toContain('--tasks N');
    expect(await openDatabase().selectFrom('users').select('id').execute()).toEqual([]);
  });

  it.each([
    [['--tasks', 'lots'], '--tasks must be a whole number'],
    [['--tasks=-5'], '--tasks must be a whole number'],
    [['--tasks', '1000001'], '--tasks must be a whole number'],
    [['--workspaces', '3'], "Unknown option '--workspaces'"],
  ])('refuses %j with exit code 2 and says why', async (args, message) => {
    const run = await runSeed(...args);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain('--help');
  });
});
