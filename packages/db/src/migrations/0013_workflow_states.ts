import { randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { dialectOf } from '../dialect.js';

// Frozen in time, like every migration: no imports of the app's schema types or helpers.
//
// Each project gets its own ordered workflow states, each in one of five categories. The
// five statuses every task had become every existing project's states (same names, one per
// category), and each task points at its project's state for its status. `tasks.status`
// stays, as the category of the task's state in the old words (backlog, todo, in_progress,
// done, canceled): stats, `completedAt` and every status index keep their meaning and
// their plans, and a state's category never changes, so the two cannot drift apart.

const DEFAULT_STATES = [
  { name: 'Backlog', category: 'backlog', status: 'backlog' },
  { name: 'Todo', category: 'unstarted', status: 'todo' },
  { name: 'In Progress', category: 'started', status: 'in_progress' },
  { name: 'Done', category: 'completed', status: 'done' },
  { name: 'Canceled', category: 'canceled', status: 'canceled' },
] as const;

interface Db {
  projects: { id: string; workspace_id: string; created_at: string };
  project_states: {
    id: string;
    workspace_id: string;
    project_id: string;
    name: string;
    category: string;
    position: number;
    created_at: string;
    updated_at: string;
  };
}

export async function up(untyped: Kysely<unknown>): Promise<void> {
  const db = untyped as Kysely<Db>;
  const postgres = dialectOf(untyped) === 'postgres';
  await db.schema
    .createTable('project_states')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) =>
      c.notNull().references('workspaces.id').onDelete('cascade'),
    )
    .addColumn('project_id', 'text', (c) =>
      c.notNull().references('projects.id').onDelete('cascade'),
    )
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) =>
      c
        .notNull()
        .check(sql`category in ('backlog', 'unstarted', 'started', 'completed', 'canceled')`),
    )
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  // A project's states in order; and names are unique in a project, whatever their case.
  await db.schema
    .createIndex('project_states_project_idx')
    .on('project_states')
    .columns(['project_id', 'position'])
    .execute();
  await sql`create unique index project_states_name_idx on project_states (project_id, lower(name))`.execute(
    db,
  );

  const projects = await db
    .selectFrom('projects')
    .select(['id', 'workspace_id', 'created_at'])
    .execute();
  for (let start = 0; start < projects.length; start += 100) {
    const rows = projects.slice(start, start + 100).flatMap((project) =>
      DEFAULT_STATES.map((state, index) => ({
        id: randomBytes(16).toString('base64url'),
        workspace_id: project.workspace_id,
        project_id: project.id,
        name: state.name,
        category: state.category,
        position: index + 1,
        created_at: project.created_at,
        updated_at: project.created_at,
      })),
    );
    if (rows.length > 0) await db.insertInto('project_states').values(rows).execute();
  }

  // SQLite adds a column with a foreign key only when it may be null; PostgreSQL refuses a
  // task without a state once every task has one.
  await db.schema
    .alterTable('tasks')
    .addColumn('state_id', 'text', (c) => c.references('project_states.id'))
    .execute();
  const categoryOf = sql.raw(
    `case tasks.status ${DEFAULT_STATES.map((s) => `when '${s.status}' then '${s.category}'`).join(' ')} end`,
  );
  await sql`
    update tasks set state_id = (
      select project_states.id from project_states
      where project_states.project_id = tasks.project_id and project_states.category = ${categoryOf}
    )
  `.execute(db);
  if (postgres) await sql`alter table tasks alter column state_id set not null`.execute(db);
  await db.schema.createIndex('tasks_state_idx').on('tasks').column('state_id').execute();
  await backfillTaskEvents(db);
}

/**
 * Task events carry the Task as it was, which now has a `stateId`: each stored task gets
 * the state its status stood for (the project's default state of that category, all there
 * was before this migration). Page by page, so the log's size does not matter.
 */
async function backfillTaskEvents(db: Kysely<Db>): Promise<void> {
  const stateOf = new Map<string, string>();
  const states = await db
    .selectFrom('project_states')
    .select(['id', 'project_id', 'category'])
    .execute();
  for (const state of states) stateOf.set(`${state.project_id} ${state.category}`, state.id);
  const categoryOfStatus = new Map<string, string>(
    DEFAULT_STATES.map((s) => [s.status, s.category]),
  );
  const log = db as unknown as Kysely<{ activity: { seq: number; type: string; data: string } }>;
  let after = 0;
  for (;;) {
    const rows = await log
      .selectFrom('activity')
      .select(['seq', 'data'])
      .where('seq', '>', after)
      .where('type', 'like', 'task.%')
      .orderBy('seq')
      .limit(1000)
      .execute();
    if (rows.length === 0) return;
    after = Number(rows[rows.length - 1]?.seq);
    const changed: { seq: number; data: string }[] = [];
    for (const row of rows) {
      const data = JSON.parse(row.data) as { task?: Record<string, unknown> };
      const task = data.task;
      if (!task || typeof task.projectId !== 'string' || 'stateId' in task) continue;
      const category = categoryOfStatus.get(String(task.status));
      const stateId = category && stateOf.get(`${task.projectId} ${category}`);
      if (!stateId) continue;
      task.stateId = stateId;
      changed.push({ seq: Number(row.seq), data: JSON.stringify(data) });
    }
    for (let start = 0; start < changed.length; start += 250) {
      const values = sql.join(
        changed.slice(start, start + 250).map((row) => sql`(${row.seq}, ${row.data})`),
      );
      await sql`
        update activity set data = v.column2
        from (values ${values}) as v
        where activity.seq = cast(v.column1 as bigint)
      `.execute(db);
    }
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('tasks_state_idx').ifExists().execute();
  await db.schema.alterTable('tasks').dropColumn('state_id').execute();
  await db.schema.dropTable('project_states').ifExists().execute();
}
