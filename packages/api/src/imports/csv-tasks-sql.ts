import type { Database, Kysely } from '@trellis/db';

// The CSV import's own reads, and its number allocation for many rows at once. Its writes
// go through insertTasks and recordActivities: many rows per statement, since one task at
// a time, 100,000 tasks would take minutes of round trips on PostgreSQL.

/** The project tasks are imported into, if it is the workspace's. */
export function csvImportTarget(db: Kysely<Database>, workspaceId: string, projectId: string) {
  return db
    .selectFrom('projects')
    .select(['id', 'key', 'archived_at as archivedAt'])
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', projectId)
    .executeTakeFirst();
}

/** The workspace's members by user id and by (lowercased) email: both name an assignee. */
export async function memberIds(
  db: Kysely<Database>,
  workspaceId: string,
): Promise<Map<string, string>> {
  const rows = await db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select(['users.id', 'users.email'])
    .where('memberships.workspace_id', '=', workspaceId)
    .execute();
  const ids = new Map<string, string>();
  for (const { id, email } of rows) {
    ids.set(id, id);
    ids.set(email.toLowerCase(), id);
  }
  return ids;
}

/** The ids of a project's tasks with these numbers, by number. */
export async function taskIdsByNumber(
  db: Kysely<Database>,
  workspaceId: string,
  projectId: string,
  numbers: readonly number[],
): Promise<Map<number, string>> {
  const rows = await db
    .selectFrom('tasks')
    .select(['id', 'number'])
    .where('workspace_id', '=', workspaceId)
    .where('project_id', '=', projectId)
    .where('number', 'in', numbers)
    .execute();
  return new Map(rows.map((row) => [Number(row.number), row.id]));
}

/**
 * Takes `count` task numbers of the project at once (allocateTaskNumber for many): the
 * first of them, or undefined when the project is gone. Under the workspace's write lock.
 */
export async function allocateTaskNumbers(
  db: Kysely<Database>,
  workspaceId: string,
  projectId: string,
  count: number,
): Promise<{ first: number; archivedAt: string | null } | undefined> {
  const row = await db
    .updateTable('projects')
    .set((eb) => ({ next_task_number: eb('next_task_number', '+', count) }))
    .where('id', '=', projectId)
    .where('workspace_id', '=', workspaceId)
    .returning(['next_task_number', 'archived_at'])
    .executeTakeFirst();
  return row && { first: row.next_task_number - count, archivedAt: row.archived_at };
}
