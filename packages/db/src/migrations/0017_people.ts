import { type Kysely, sql } from 'kysely';

// Frozen in time, like every migration.
//
// What tells a person that something needs them: handles to mention people by, watchers,
// mentions, the inbox (notifications), and the markers that make due-date reminders fire
// once per task and due date.
//
// Handles: every account gets a unique `handle` (lower case letters, digits, `_`, `-`,
// 2–32 characters), made here from the email's local part (`jane.doe@…` → `jane-doe`,
// then `jane-doe2`, … on a clash), in sign-up order.
//
// Watchers: (task, user) rows; the task's row going to the trash takes them along
// (trashed_tasks keeps its rows), deleting the account deletes them.
//
// Mentions: structured references from a comment (comment_mentions) or a task's
// description (task_mentions) to a member, with the text that named them (`@jane`), so a
// later change of handle or email does not break them.
//
// Notifications: one row per recipient, numbered per recipient (`seq`, taken from the
// recipient's `inboxes` row, locked until commit: a recipient's numbers commit in order, so
// a live feed that has read 12 never looks back for 11). No foreign key to tasks: a
// notification outlives its task's trip to the trash and shows the task as it was.
// `digest_secret_hash`: on the newest notification an email digest listed, the SHA-256 of
// the secret in that digest's unsubscribe link. `inboxes` also holds the person's preferences (JSON; null = the defaults) and when their
// last email digest went out.
//
// Reminders: `due_soon_sent_for` / `overdue_sent_for` on tasks hold the due date a reminder
// was sent for. A task is pending while the marker differs from `due_at` (so a new due date
// re-arms it) and it is open; the partial indexes hold exactly the pending tasks, so the
// scheduler's scan costs what is due, not every task ever given a date. Tasks already past
// due before this migration count as reminded (no flood of old reminders on upgrade).

const OPEN = sql`status in ('backlog', 'todo', 'in_progress')`;

/** The handle an email's local part gives, before clashes are resolved. */
function handleBase(email: string): string {
  const local = email.split('@')[0] ?? '';
  const base = local
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '')
    .slice(0, 28)
    // Cut after a `-` or `_`: trimmed again, a handle ends in a letter or digit.
    .replace(/[-_]+$/, '');
  return base.length >= 2 ? base : `user-${base}`.replace(/-$/, '');
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').addColumn('handle', 'text').execute();
  const users = await sql<{ id: string; email: string }>`
    select id, email from users order by created_at, id`.execute(db);
  const taken = new Set<string>();
  for (const user of users.rows) {
    const base = handleBase(user.email);
    let handle = base;
    for (let n = 2; taken.has(handle); n += 1) handle = `${base}${n}`;
    taken.add(handle);
    await sql`update users set handle = ${handle} where id = ${user.id}`.execute(db);
  }
  await db.schema.createIndex('users_handle_idx').on('users').column('handle').unique().execute();

  await db.schema
    .createTable('task_watchers')
    .addColumn('task_id', 'text', (c) => c.notNull().references('tasks.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('task_watchers_pk', ['task_id', 'user_id'])
    .execute();
  await db.schema
    .createIndex('task_watchers_user_idx')
    .on('task_watchers')
    .column('user_id')
    .execute();

  await db.schema
    .createTable('comment_mentions')
    .addColumn('comment_id', 'text', (c) =>
      c.notNull().references('comments.id').onDelete('cascade'),
    )
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('comment_mentions_pk', ['comment_id', 'user_id', 'text'])
    .execute();
  await db.schema
    .createIndex('comment_mentions_user_idx')
    .on('comment_mentions')
    .column('user_id')
    .execute();
  await db.schema
    .createTable('task_mentions')
    .addColumn('task_id', 'text', (c) => c.notNull().references('tasks.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('task_mentions_pk', ['task_id', 'user_id', 'text'])
    .execute();
  await db.schema
    .createIndex('task_mentions_user_idx')
    .on('task_mentions')
    .column('user_id')
    .execute();

  await db.schema
    .createTable('inboxes')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('preferences', 'text')
    .addColumn('last_digest_at', 'text')
    .execute();

  await db.schema
    .createTable('notifications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('workspace_id', 'text', (c) =>
      c.notNull().references('workspaces.id').onDelete('cascade'),
    )
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('task_id', 'text')
    .addColumn('comment_id', 'text')
    .addColumn('actor_id', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('read_at', 'text')
    .addColumn('emailed_at', 'text')
    .addColumn('digest_secret_hash', 'text')
    .execute();
  // The inbox newest first, and the live feed after a position.
  await db.schema
    .createIndex('notifications_user_seq_idx')
    .on('notifications')
    .columns(['user_id', 'seq'])
    .unique()
    .execute();
  // unreadCount and `unreadOnly` pages.
  await db.schema
    .createIndex('notifications_unread_idx')
    .on('notifications')
    .columns(['user_id', 'seq'])
    .where(sql.ref('read_at'), 'is', null)
    .execute();
  // The digest's scan: what is still to be mailed.
  await sql`create index notifications_unmailed_idx on notifications (user_id, seq)
    where emailed_at is null and read_at is null`.execute(db);
  // Deleting a workspace cascades here.
  await db.schema
    .createIndex('notifications_workspace_idx')
    .on('notifications')
    .column('workspace_id')
    .execute();

  await db.schema.alterTable('tasks').addColumn('due_soon_sent_for', 'text').execute();
  await db.schema.alterTable('tasks').addColumn('overdue_sent_for', 'text').execute();
  const now = new Date().toISOString();
  await sql`update tasks set due_soon_sent_for = due_at, overdue_sent_for = due_at
    where due_at is not null and due_at <= ${now}`.execute(db);
  await sql`create index tasks_due_soon_pending_idx on tasks (due_at)
    where due_at is not null and ${OPEN}
      and (due_soon_sent_for is null or due_soon_sent_for <> due_at)`.execute(db);
  await sql`create index tasks_overdue_pending_idx on tasks (due_at)
    where due_at is not null and ${OPEN}
      and (overdue_sent_for is null or overdue_sent_for <> due_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('tasks_overdue_pending_idx').ifExists().execute();
  await db.schema.dropIndex('tasks_due_soon_pending_idx').ifExists().execute();
  await db.schema.alterTable('tasks').dropColumn('overdue_sent_for').execute();
  await db.schema.alterTable('tasks').dropColumn('due_soon_sent_for').execute();
  await db.schema.dropTable('notifications').ifExists().execute();
  await db.schema.dropTable('inboxes').ifExists().execute();
  await db.schema.dropTable('task_mentions').ifExists().execute();
  await db.schema.dropTable('comment_mentions').ifExists().execute();
  await db.schema.dropTable('task_watchers').ifExists().execute();
  await db.schema.dropIndex('users_handle_idx').ifExists().execute();
  await db.schema.alterTable('users').dropColumn('handle').execute();
}
