// What the people tests (mentions, watchers, derived notifications) read back: the
// notifications and watchers as stored.
import type { NewNotification } from '../queries/notifications.js';
import type { Harness } from './harness.js';

/** Every notification of the harness's database, oldest first, as (user, kind, data). */
export async function storedNotifications(harness: Harness) {
  const rows = await harness.db
    .selectFrom('notifications')
    .select(['user_id', 'kind', 'task_id', 'comment_id', 'actor_id', 'data'])
    .orderBy('created_at')
    .orderBy('user_id')
    .orderBy('seq')
    .execute();
  return rows.map((row) => ({ ...row, data: JSON.parse(row.data) as Record<string, unknown> }));
}

/** Who received notifications, as `kind→user id` pairs in a stable order. */
export async function deliveries(harness: Harness): Promise<string[]> {
  return (await storedNotifications(harness)).map((n) => `${n.kind}→${n.user_id}`).sort();
}

/** The users watching a task as stored (members or not), sorted. */
export async function storedWatchers(harness: Harness, taskId: string): Promise<string[]> {
  const rows = await harness.db
    .selectFrom('task_watchers')
    .select('user_id')
    .where('task_id', '=', taskId)
    .execute();
  return rows.map((row) => row.user_id).sort();
}

/** Forgets every notification so far (a test's next step starts from an empty inbox). */
export async function clearNotifications(harness: Harness): Promise<void> {
  await harness.db.deleteFrom('notifications').execute();
}

/** The task the notification tests' notifications are about. */
export const NOTIFIED_TASK = { id: 'task-1', key: 'ENG-1', title: 'Fix the roof' };

/** An `assigned` notification of NOTIFIED_TASK for `userId`, by `actorId`. */
export function assignedNote(
  userId: string,
  workspaceId: string,
  actorId: string | null,
): NewNotification {
  return {
    userId,
    workspaceId,
    kind: 'assigned',
    taskId: NOTIFIED_TASK.id,
    commentId: null,
    actorId,
    data: { task: NOTIFIED_TASK },
  };
}
