import { type Kysely, sql } from 'kysely';

// Frozen in time, like every migration.
//
// Imports run in the background: the upload is streamed to a temp file (`file`), the job
// runs in the process that took the upload (`owner`: `<hostname>:<pid>`), and the user who
// started it polls the row. `workspace_id` is the target: for a workspace import it is set
// once the new workspace exists, and goes back to null if that workspace is deleted (a
// failed import removes what it made). `report` is JSON written when the job ends.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('import_jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('workspace', 'tasks.csv')`))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('workspace_id', 'text', (c) => c.references('workspaces.id').onDelete('set null'))
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('queued', 'running', 'succeeded', 'failed')`),
    )
    .addColumn('phase', 'text', (c) => c.notNull())
    .addColumn('done', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('total', 'integer')
    .addColumn('error', 'text')
    .addColumn('report', 'text')
    .addColumn('file', 'text', (c) => c.notNull())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .execute();
  // A process starting up looks for the unfinished jobs its dead predecessors left.
  await db.schema
    .createIndex('import_jobs_owner_idx')
    .on('import_jobs')
    .columns(['owner', 'status'])
    .execute();
  // Deleting a user or a workspace finds its jobs.
  await db.schema.createIndex('import_jobs_user_idx').on('import_jobs').column('user_id').execute();
  await db.schema
    .createIndex('import_jobs_workspace_idx')
    .on('import_jobs')
    .column('workspace_id')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('import_jobs').ifExists().execute();
}
