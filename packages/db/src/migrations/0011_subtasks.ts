import type { Kysely } from 'kysely';

// Frozen in time, like every migration.
//
// Sub-tasks: a task may have a parent in the same project (the procedures check that, and
// that no chain loops or runs deeper than 5). Deleting a parent deletes its children with
// it (the procedures refuse that unless asked: `cascade: true`).

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('tasks')
    .addColumn('parent_id', 'text', (c) => c.references('tasks.id').onDelete('cascade'))
    .execute();
  // A parent's children (tasks.get's summary, tasks.list's parentId filter, the cycle walk).
  await db.schema.createIndex('tasks_parent_idx').on('tasks').column('parent_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('tasks_parent_idx').ifExists().execute();
  await db.schema.alterTable('tasks').dropColumn('parent_id').execute();
}
