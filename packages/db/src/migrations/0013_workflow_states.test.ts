import { type Kysely, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateDown, migrateToLatest, pendingMigrations } from '../migrate.js';
import type { Database } from '../schema.js';
import { createTestDatabase, type TestDatabase, testDatabaseDialect } from '../testing.js';

// 0013 gives every project the five default states and puts each task in the one its
// status stands for; the statuses (what stats count) stay as they were.

const NAME = '0013_workflow_states';
const databases: TestDatabase[] = [];
afterEach(async () => {
  for (const database of databases.splice(0)) await database.destroy();
});

async function before0013(): Promise<Kysely<Database>> {
  const database = await createTestDatabase();
  databases.push(database);
  const { db } = database;
  while (!(await pendingMigrations(db)).includes(NAME)) await migrateDown(db);
  return db;
}

const STATUSES = ['backlog', 'todo', 'in_progress', 'done', 'canceled'];

describe(`migration ${NAME} on ${testDatabaseDialect()}`, () => {
  it('puts every task in its status state and keeps the counts by status', async () => {
    const db = await before0013();
    const at = '2030-01-01T00:00:00.000Z';
    await sql`insert into users (id, email, name, created_at, updated_at)
      values ('u', 'u@example.com', 'U', ${at}, ${at})`.execute(db);
    await sql`insert into workspaces (id, name, slug, created_at, updated_at)
      values ('w', 'W', 'w', ${at}, ${at})`.execute(db);
    for (const key of ['AA', 'BB']) {
      await sql`insert into projects (id, workspace_id, key, name, created_at, updated_at)
        values (${key}, 'w', ${key}, ${key}, ${at}, ${at})`.execute(db);
    }
    for (let i = 0; i < 40; i += 1) {
      const project = i % 2 === 0 ? 'AA' : 'BB';
      const status = STATUSES[i % 5] ?? 'todo';
      const completed = status === 'done' ? at : null;
      await sql`insert into tasks (id, workspace_id, project_id, number, title, status, priority,
          created_by, created_at, updated_at, completed_at)
        values (${`t${i}`}, 'w', ${project}, ${i + 1}, ${`Task ${i}`}, ${status}, 0, 'u', ${at},
          ${at}, ${completed})`.execute(db);
      const task = { id: `t${i}`, projectId: project, status, title: `Task ${i}` };
      await sql`insert into activity (id, workspace_id, workspace_seq, project_id, task_id, type,
          data, created_at)
        values (${`e${i}`}, 'w', ${i + 1}, ${project}, ${`t${i}`}, 'task.created',
          ${JSON.stringify({ task })}, ${at})`.execute(db);
    }
    const countsBefore = await sql<{ status: string; n: number }>`
      select status, count(*) as n from tasks group by status order by status`.execute(db);

    expect(await migrateToLatest(db)).toContain(NAME);

    const states = await db
      .selectFrom('project_states')
      .selectAll()
      .orderBy('project_id')
      .orderBy('position')
      .execute();
    expect(states.map((s) => [s.project_id, s.position, s.name, s.category])).toEqual(
      ['AA', 'BB'].flatMap((project) => [
        [project, 1, 'Backlog', 'backlog'],
        [project, 2, 'Todo', 'unstarted'],
        [project, 3, 'In Progress', 'started'],
        [project, 4, 'Done', 'completed'],
        [project, 5, 'Canceled', 'canceled'],
      ]),
    );
    const category = {
      backlog: 'backlog',
      todo: 'unstarted',
      in_progress: 'started',
      done: 'completed',
      canceled: 'canceled',
    } as Record<string, string>;
    const tasks = await db
      .selectFrom('tasks')
      .innerJoin('project_states', 'project_states.id', 'tasks.state_id')
      .select([
        'tasks.id',
        'tasks.status',
        'tasks.project_id',
        'project_states.project_id as stateProject',
        'project_states.category',
        'tasks.state_id',
      ])
      .execute();
    expect(tasks).toHaveLength(40);
    for (const task of tasks) {
      expect(task.stateProject).toBe(task.project_id);
      expect(task.category).toBe(category[task.status]);
    }
    const countsAfter = await sql<{ status: string; n: number }>`
      select status, count(*) as n from tasks group by status order by status`.execute(db);
    expect(countsAfter.rows.map((r) => [r.status, Number(r.n)])).toEqual(
      countsBefore.rows.map((r) => [r.status, Number(r.n)]),
    );
    // The events carry the task's state too, as Task has it now.
    const entries = await db.selectFrom('activity').select(['task_id', 'data']).execute();
    const stateOfTask = new Map(tasks.map((t) => [t.id, t.state_id]));
    for (const entry of entries) {
      const data = JSON.parse(entry.data) as { task: { stateId?: string } };
      expect(data.task.stateId).toBe(stateOfTask.get(String(entry.task_id)));
    }
  });
});
