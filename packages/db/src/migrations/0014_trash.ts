import type { Kysely } from 'kysely';

// Frozen in time, like every migration.
//
// The trash: a deleted task leaves `tasks` (so no query of live tasks needs a filter) and
// waits here until it is restored or purged. `task` is the task as clients saw it when it
// was deleted (the trash list shows it); `rows` holds the raw rows that bring it back: its
// `tasks` row, labels, comments and relations (from either side), as JSON. A migration that
// changes those tables must change the rows kept here too. `root_task_id` is the task whose
// deletion trashed this one (itself, or the parent deleted with `cascade`): restoring the
// root restores the tasks trashed with it.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('trashed_tasks')
    .addColumn('task_id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) =>
      c.notNull().references('workspaces.id').onDelete('cascade'),
    )
    .addColumn('project_id', 'text', (c) =>
      c.notNull().references('projects.id').onDelete('cascade'),
    )
    .addColumn('root_task_id', 'text', (c) => c.notNull())
    .addColumn('deleted_by', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('deleted_at', 'text', (c) => c.notNull())
    .addColumn('task', 'text', (c) => c.notNull())
    .addColumn('rows', 'text', (c) => c.notNull())
    .execute();
  // The trash list, newest deletion first, keyset-paged on (deleted_at, task_id).
  await db.schema
    .createIndex('trashed_tasks_ws_deleted_idx')
    .on('trashed_tasks')
    .columns(['workspace_id', 'deleted_at', 'task_id'])
    .execute();
  // The purge: everything deleted before the retention's start, in any workspace.
  await db.schema
    .createIndex('trashed_tasks_deleted_idx')
    .on('trashed_tasks')
    .column('deleted_at')
    .execute();
  // A restore: the tasks trashed with the one restored.
  await db.schema
    .createIndex('trashed_tasks_root_idx')
    .on('trashed_tasks')
    .column('root_task_id')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('trashed_tasks').ifExists().execute();
}
