import { type Kysely, sql } from 'kysely';

// Frozen in time, like every migration: no imports of the app's schema types.

// tasks.list sorted by due date puts tasks without one last in both directions, so it
// orders by coalesce(due_at, sentinel): a sentinel after every date when ascending, before
// every date when descending. A plain (workspace_id, due_at, id) index cannot serve that
// order or its keyset range (NULL fails every comparison), so it made SQLite sort the
// whole workspace for each page; one expression index per direction replaces it. The
// sentinels must match the query's literals exactly (packages/api/src/queries/tasks-list.ts).
const DUE_INDEXES = [
  ['tasks_ws_due_asc_idx', '9999-12-31T23:59:59.999Z'],
  ['tasks_ws_due_desc_idx', ''],
] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const [name, sentinel] of DUE_INDEXES) {
    await sql`create index ${sql.id(name)} on tasks (workspace_id, coalesce(due_at, ${sql.lit(sentinel)}), id)`.execute(
      db,
    );
  }
  await db.schema.dropIndex('tasks_ws_due_idx').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('tasks_ws_due_idx')
    .on('tasks')
    .columns(['workspace_id', 'due_at', 'id'])
    .execute();
  for (const [name] of DUE_INDEXES) {
    await db.schema.dropIndex(name).ifExists().execute();
  }
}
