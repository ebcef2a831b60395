import { type Kysely, sql } from 'kysely';

// Frozen in time, like every migration.
//
// Attachments: files uploaded to a task (or one of its comments). The bytes live in the
// attachment store (a directory or an S3 bucket) under `storage_key`, a random id, never
// the uploader's filename. No foreign key to workspaces, tasks or comments: a task's trip to
// the trash keeps its attachments (not downloadable until it is restored), and no cascade
// may delete a row without its file: the server's sweep removes the attachments of tasks
// that are neither live nor in the trash (purged, or gone with their project or workspace).
//
// Order of deletion: a row goes first, in a transaction that also queues its storage key in
// `attachment_deletions`; the file (and preview) go after commit and then the queue entry.
// A crash in between leaves a queued key, retried by the next sweep: never a row without
// its file, and no file left behind for good. `preview_key` is a small WebP made at upload
// for images, or null.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('attachments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('task_id', 'text', (c) => c.notNull())
    .addColumn('comment_id', 'text')
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull().check(sql`size >= 0`))
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('storage_key', 'text', (c) => c.notNull().unique())
    .addColumn('preview_key', 'text')
    .addColumn('uploaded_by', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  // A task's list, oldest first.
  await db.schema
    .createIndex('attachments_task_idx')
    .on('attachments')
    .columns(['task_id', 'created_at', 'id'])
    .execute();
  // The quota: a workspace's total size.
  await db.schema
    .createIndex('attachments_workspace_idx')
    .on('attachments')
    .column('workspace_id')
    .execute();
  await db.schema
    .createTable('attachment_deletions')
    .addColumn('storage_key', 'text', (c) => c.primaryKey())
    .addColumn('preview_key', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('attachment_deletions').ifExists().execute();
  await db.schema.dropTable('attachments').ifExists().execute();
}
