import { type Kysely, sql } from 'kysely';
import { dialectOf } from '../dialect.js';

// Frozen in time, like every migration: no imports of the app's schema types.
//
// Live event ids and activity cursors named an entry's `seq`, which counts every
// workspace's entries together: a member could read how busy the other workspaces on the
// server are from the gaps between their own ids. Each entry now also has a number within
// its workspace (`workspace_seq`: 1, 2, 3, … in the workspace's log order), and that is all
// ids and cursors show. `workspaces.activity_seq` is the last number handed out;
// recordActivity bumps it in the transaction that writes the entry, which on PostgreSQL
// also serialises a workspace's writers to commit (the row stays locked until then), so
// numbers are in commit order, as streams read them.
//
// Ids and cursors issued before this migration (`{"seq": n}`) keep working: they are
// translated to the workspace's numbering, but only up to `legacy_event_ids.last_seq`, the
// last seq there was before it. Past that, no old id was ever issued, and answering one
// would tell the global seq of entries written since.

export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = dialectOf(db) === 'postgres';
  const integer = postgres ? 'bigint' : 'integer';
  await db.schema
    .alterTable('workspaces')
    .addColumn('activity_seq', integer, (c) => c.notNull().defaultTo(0))
    .execute();
  // SQLite adds a NOT NULL column only with a default; 0 is never a real number (they
  // start at 1), and the backfill below replaces it.
  await db.schema
    .alterTable('activity')
    .addColumn('workspace_seq', integer, (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`
    update activity set workspace_seq = numbered.n
    from (
      select seq, row_number() over (partition by workspace_id order by seq) as n from activity
    ) as numbered
    where activity.seq = numbered.seq
  `.execute(db);
  await sql`
    update workspaces set activity_seq = coalesce(
      (select max(workspace_seq) from activity where activity.workspace_id = workspaces.id), 0)
  `.execute(db);
  // A writer that forgets the number fails rather than writing a 0 (PostgreSQL; SQLite
  // cannot drop a default, and the unique index below refuses a second 0 there).
  if (postgres) {
    await sql`alter table activity alter column workspace_seq drop default`.execute(db);
  }

  // Pages and streams now walk a workspace's (or a task's) log by workspace_seq; these
  // replace the indexes on seq, which nothing reads by workspace any more.
  await db.schema
    .createIndex('activity_ws_wseq_idx')
    .on('activity')
    .columns(['workspace_id', 'workspace_seq'])
    .unique()
    .execute();
  await db.schema
    .createIndex('activity_task_wseq_idx')
    .on('activity')
    .columns(['task_id', 'workspace_seq'])
    .execute();
  await db.schema.dropIndex('activity_ws_seq_idx').execute();
  await db.schema.dropIndex('activity_task_seq_idx').execute();

  await db.schema
    .createTable('legacy_event_ids')
    .addColumn('last_seq', integer, (c) => c.notNull())
    .execute();
  await sql`
    insert into legacy_event_ids (last_seq) select coalesce(max(seq), 0) from activity
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('legacy_event_ids').ifExists().execute();
  await db.schema
    .createIndex('activity_ws_seq_idx')
    .ifNotExists()
    .on('activity')
    .columns(['workspace_id', 'seq'])
    .execute();
  await db.schema
    .createIndex('activity_task_seq_idx')
    .ifNotExists()
    .on('activity')
    .columns(['task_id', 'seq'])
    .execute();
  await db.schema.dropIndex('activity_task_wseq_idx').ifExists().execute();
  await db.schema.dropIndex('activity_ws_wseq_idx').ifExists().execute();
  await db.schema.alterTable('activity').dropColumn('workspace_seq').execute();
  await db.schema.alterTable('workspaces').dropColumn('activity_seq').execute();
}
