import { type Kysely, sql } from 'kysely';

// Frozen in time, like every migration.
//
// tasks.list's newer filters, and saved views.
//
// Filters: `createdBy` gets an index like the assignee's (workspace_id, created_by,
// created_at, id), so "what X created" is one index range in created order. The other new
// filters read the indexes that already serve the list's order: `updatedSince` is a range
// of tasks_ws_updated_idx (under `sort: updated`), `dueBefore` / `dueAfter` a range of the
// due-date expression indexes of 0004 (under `sort: due`) and otherwise a test on each row
// of the sort index's walk, several assignees tasks_ws_assignee_idx, several labels
// task_labels_ws_label_idx.
//
// Views: a named set of tasks.list filters with a sort, owned by one member, personal or
// shared with the workspace (`shared` 0 or 1 on both dialects). `filters` is JSON text of exactly tasks.list's filter fields.
// A name is unique per owner in a workspace. Deleting the workspace or the owner's account
// deletes the view.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('tasks_ws_creator_idx')
    .on('tasks')
    .columns(['workspace_id', 'created_by', 'created_at', 'id'])
    .execute();

  await db.schema
    .createTable('views')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) =>
      c.notNull().references('workspaces.id').onDelete('cascade'),
    )
    .addColumn('owner_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('shared', 'integer', (c) => c.notNull().check(sql`shared in (0, 1)`))
    .addColumn('filters', 'text', (c) => c.notNull())
    .addColumn('sort', 'text', (c) => c.notNull())
    .addColumn('sort_order', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  // views.list: the caller's own views (and the name rule), then the shared ones.
  await db.schema
    .createIndex('views_ws_owner_name_idx')
    .on('views')
    .columns(['workspace_id', 'owner_id', 'name'])
    .unique()
    .execute();
  await db.schema
    .createIndex('views_ws_shared_idx')
    .on('views')
    .columns(['workspace_id', 'shared'])
    .execute();
  await db.schema.createIndex('views_owner_idx').on('views').column('owner_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('views').ifExists().execute();
  await db.schema.dropIndex('tasks_ws_creator_idx').ifExists().execute();
}
