import { type Kysely, sql } from 'kysely';
import { dialectOf } from '../dialect.js';
import * as postgresSearch from './postgres/0003_search.js';

// Frozen in time, like every migration: no imports of the app's schema types.
// SQLite-specific parts (AUTOINCREMENT, FTS5, triggers) are marked; their PostgreSQL
// equivalents (identity, tsvector + GIN + plpgsql triggers) are in postgres/0003_search.ts.

export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = dialectOf(db) === 'postgres';
  await db.schema
    .createTable('comments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) =>
      c.notNull().references('workspaces.id').onDelete('cascade'),
    )
    .addColumn('task_id', 'text', (c) => c.notNull().references('tasks.id').onDelete('cascade'))
    .addColumn('author_id', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('comments_task_idx')
    .on('comments')
    .columns(['task_id', 'created_at', 'id'])
    .execute();

  // The append-only log of who did what. `seq` orders it (and resumes live streams);
  // clients only ever see `id` and opaque cursors.
  await db.schema
    .createTable('activity')
    .addColumn('seq', postgres ? 'bigint' : 'integer', (c) =>
      postgres ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement(),
    )
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('workspace_id', 'text', (c) =>
      c.notNull().references('workspaces.id').onDelete('cascade'),
    )
    .addColumn('project_id', 'text')
    // No foreign key: the log outlives the tasks it tells about.
    .addColumn('task_id', 'text')
    .addColumn('actor_id', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('api_token_id', 'text')
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('activity_ws_seq_idx')
    .on('activity')
    .columns(['workspace_id', 'seq'])
    .execute();
  await db.schema
    .createIndex('activity_task_seq_idx')
    .on('activity')
    .columns(['task_id', 'seq'])
    .execute();

  // tasks.list sorts: every sort has an index led by workspace_id (and by project_id for
  // the common "one project" view), ending in id for the keyset tie-break.
  await db.schema
    .createIndex('tasks_ws_priority_idx')
    .on('tasks')
    .columns(['workspace_id', 'priority', 'id'])
    .execute();
  await db.schema
    .createIndex('tasks_ws_due_idx')
    .on('tasks')
    .columns(['workspace_id', 'due_at', 'id'])
    .execute();
  await db.schema
    .createIndex('tasks_project_created_idx')
    .on('tasks')
    .columns(['project_id', 'created_at', 'id'])
    .execute();

  if (postgres) {
    await postgresSearch.up(db);
    return;
  }
  // Full-text search (SQLite FTS5): one document per task holding its title,
  // description and all its comments, kept in sync by triggers so that no write path
  // can forget it. `task_search_docs` gives each task a stable integer rowid (a table's
  // implicit rowid may change on VACUUM).
  await sql`create table task_search_docs (
    doc_id integer primary key,
    task_id text not null unique,
    workspace_id text not null
  )`.execute(db);
  await sql`create virtual table task_fts using fts5(
    title, description, comments,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
  )`.execute(db);
  await sql`create trigger tasks_search_insert after insert on tasks begin
    insert into task_search_docs (task_id, workspace_id) values (new.id, new.workspace_id);
    insert into task_fts (rowid, title, description, comments)
      values ((select doc_id from task_search_docs where task_id = new.id),
              new.title, new.description, '');
  end`.execute(db);
  await sql`create trigger tasks_search_update after update of title, description on tasks begin
    update task_fts set title = new.title, description = new.description
      where rowid = (select doc_id from task_search_docs where task_id = new.id);
  end`.execute(db);
  await sql`create trigger tasks_search_delete after delete on tasks begin
    delete from task_fts where rowid = (select doc_id from task_search_docs where task_id = old.id);
    delete from task_search_docs where task_id = old.id;
  end`.execute(db);
  for (const [event, row] of [
    ['insert', 'new'],
    ['update of body', 'new'],
    ['delete', 'old'],
  ] as const) {
    const name = `comments_search_${event.split(' ')[0]}`;
    await sql
      .raw(`create trigger ${name} after ${event} on comments begin
        update task_fts set comments = (
            select coalesce(group_concat(body, char(10)), '') from comments
            where task_id = ${row}.task_id)
          where rowid = (select doc_id from task_search_docs where task_id = ${row}.task_id);
      end`)
      .execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (dialectOf(db) === 'postgres') await postgresSearch.down(db);
  else await downSqliteSearch(db);
  for (const index of ['tasks_project_created_idx', 'tasks_ws_due_idx', 'tasks_ws_priority_idx']) {
    await db.schema.dropIndex(index).ifExists().execute();
  }
  await db.schema.dropTable('activity').ifExists().execute();
  await db.schema.dropTable('comments').ifExists().execute();
}

async function downSqliteSearch(db: Kysely<unknown>): Promise<void> {
  for (const trigger of [
    'comments_search_delete',
    'comments_search_update',
    'comments_search_insert',
    'tasks_search_delete',
    'tasks_search_update',
    'tasks_search_insert',
  ]) {
    await sql.raw(`drop trigger if exists ${trigger}`).execute(db);
  }
  await sql`drop table if exists task_fts`.execute(db);
  await sql`drop table if exists task_search_docs`.execute(db);
}
