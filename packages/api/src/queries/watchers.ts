import { type Database, isoNow, type Kysely } from '@trellis/db';

// Who watches a task: they hear of its comments and state changes. Rows go to the trash
// with their task and come back with it (queries/trash.ts). Removing a member leaves their
// rows: notifications go to members only (insertNotifications), and a member who comes
// back watches what they watched before.

/** Makes these users watch the task (those already watching stay as they are). */
export async function addWatchers(
  db: Kysely<Database>,
  workspaceId: string,
  taskId: string,
  userIds: readonly string[],
  at: Date,
): Promise<void> {
  const unique = [...new Set(userIds)];
  if (unique.length === 0) return;
  await db
    .insertInto('task_watchers')
    .values(
      unique.map((userId) => ({
        task_id: taskId,
        user_id: userId,
        workspace_id: workspaceId,
        created_at: isoNow(at),
      })),
    )
    .onConflict((oc) => oc.columns(['task_id', 'user_id']).doNothing())
    .execute();
}

/** Stops a user watching a task; nothing when they were not. */
export async function removeWatcher(
  db: Kysely<Database>,
  workspaceId: string,
  taskId: string,
  userId: string,
): Promise<void> {
  await db
    .deleteFrom('task_watchers')
    .where('workspace_id', '=', workspaceId)
    .where('task_id', '=', taskId)
    .where('user_id', '=', userId)
    .execute();
}

/** The members watching a task, oldest watcher first (former members' rows are skipped). */
export async function watcherIds(
  db: Kysely<Database>,
  workspaceId: string,
  taskId: string,
): Promise<string[]> {
  const rows = await db
    .selectFrom('task_watchers')
    .innerJoin('memberships', (join) =>
      join
        .onRef('memberships.user_id', '=', 'task_watchers.user_id')
        .onRef('memberships.workspace_id', '=', 'task_watchers.workspace_id'),
    )
    .select('task_watchers.user_id')
    .where('task_watchers.workspace_id', '=', workspaceId)
    .where('task_watchers.task_id', '=', taskId)
    .orderBy('task_watchers.created_at')
    .orderBy('task_watchers.user_id')
    .execute();
  return rows.map((row) => row.user_id);
}
