import { type Kysely, sql } from 'kysely';

// Frozen in time, like every migration.
//
// Relations between two tasks of one workspace. `blocks` and `duplicates` read from
// `task_id` to `other_task_id`; `relates` is symmetric and stored once (whichever side
// added it), so the procedures look for it both ways before adding. `workspace_id` is
// copied from the tasks so a workspace's relations (the blocked filter, export) are read
// without a join. Deleting either task deletes its relations.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('task_relations')
    .addColumn('workspace_id', 'text', (c) =>
      c.notNull().references('workspaces.id').onDelete('cascade'),
    )
    .addColumn('task_id', 'text', (c) => c.notNull().references('tasks.id').onDelete('cascade'))
    .addColumn('other_task_id', 'text', (c) =>
      c.notNull().references('tasks.id').onDelete('cascade'),
    )
    .addColumn('type', 'text', (c) =>
      c.notNull().check(sql`type in ('blocks', 'relates', 'duplicates')`),
    )
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('task_relations_pk', ['task_id', 'other_task_id', 'type'])
    .execute();
  // The other direction: what points at a task (blockedBy, duplicatedBy, the blocked filter).
  await db.schema
    .createIndex('task_relations_other_idx')
    .on('task_relations')
    .columns(['other_task_id', 'type'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('task_relations').ifExists().execute();
}
