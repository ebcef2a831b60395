import type { Database, Kysely } from '@trellis/db';
import { sql } from 'kysely';

// The SQL of due-date reminders. A task is pending for a reminder while its marker
// (`due_soon_sent_for` / `overdue_sent_for`) differs from its `due_at` and it is open;
// migration 0017's partial indexes hold exactly those tasks. The predicates below repeat
// the indexes' WHERE clauses word for word, with literals rather than parameters: SQLite
// uses a partial index only when it can see that the query's WHERE implies the index's,
// and it cannot see through a bound parameter.

/** The two reminders a task gets per due date. */
export type ReminderKind = 'due_soon' | 'overdue';

const OPEN = sql`status in ('backlog', 'todo', 'in_progress')`;

const PENDING = {
  due_soon: sql<boolean>`due_at is not null and ${OPEN}
      and (due_soon_sent_for is null or due_soon_sent_for <> due_at)`,
  overdue: sql<boolean>`due_at is not null and ${OPEN}
      and (overdue_sent_for is null or overdue_sent_for <> due_at)`,
} as const;

/** A task waiting for a reminder. */
export interface PendingReminder {
  id: string;
  workspaceId: string;
  projectId: string;
  dueAt: string;
}

/**
 * The query for up to `limit` tasks pending `kind` whose due date is at or before `until`,
 * soonest first (one range read of the kind's partial index). Exposed for the plan tests.
 */
export function pendingRemindersQuery(
  db: Kysely<Database>,
  kind: ReminderKind,
  until: string,
  limit: number,
) {
  return db
    .selectFrom('tasks')
    .select(['id', 'workspace_id as workspaceId', 'project_id as projectId', 'due_at as dueAt'])
    .where(PENDING[kind])
    .where('due_at', '<=', until)
    .orderBy('due_at')
    .limit(limit);
}

/** Up to `limit` tasks pending `kind` due at or before `until`, soonest first. */
export async function pendingReminders(
  db: Kysely<Database>,
  kind: ReminderKind,
  until: string,
  limit: number,
): Promise<PendingReminder[]> {
  const rows = await pendingRemindersQuery(db, kind, until, limit).execute();
  return rows.map((row) => ({ ...row, dueAt: row.dueAt as string }));
}

/**
 * Takes a task's `kind` reminder for `dueAt`: sets the marker, only if the task is still
 * pending that reminder for that same due date (and, for `due_soon`, not yet due at `now`:
 * an overdue task gets only the overdue reminder). An overdue claim sets both markers, so
 * the due-soon reminder of a date already past never follows. True when this caller took
 * it; false when another process did first, the due date moved, or the task closed.
 */
export async function claimReminder(
  trx: Kysely<Database>,
  task: { id: string; dueAt: string },
  kind: ReminderKind,
  now: string,
): Promise<boolean> {
  let query = trx
    .updateTable('tasks')
    .set(
      kind === 'overdue'
        ? { overdue_sent_for: task.dueAt, due_soon_sent_for: task.dueAt }
        : { due_soon_sent_for: task.dueAt },
    )
    .where('id', '=', task.id)
    .where('due_at', '=', task.dueAt)
    .where(PENDING[kind]);
  query = kind === 'overdue' ? query.where('due_at', '<=', now) : query.where('due_at', '>', now);
  const result = await query.executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * The markers a task brought in by an import starts with: a due date already past at
 * `now` counts as reminded (both markers set), so importing years of history does not
 * send a reminder for every old task; a due date still ahead is left to fire.
 */
export function importedReminderMarkers(
  dueAt: string | null,
  now: string,
): { due_soon_sent_for: string | null; overdue_sent_for: string | null } {
  const past = dueAt !== null && dueAt <= now;
  return { due_soon_sent_for: past ? dueAt : null, overdue_sent_for: past ? dueAt : null };
}
