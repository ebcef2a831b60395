import type { Database, Kysely } from '@trellis/db';
import { TRPCError } from '@trpc/server';
import { recordActivity, writeInWorkspace } from '../activity.js';
import { queueNotifications } from '../queries/notifications.js';
import {
  claimReminder,
  type PendingReminder,
  pendingReminders,
  type ReminderKind,
} from '../queries/reminders.js';
import { loadTaskViews } from '../queries/tasks.js';
import { watcherIds } from '../queries/watchers.js';

// Due-date reminders: "due within 24 hours" and "overdue", once per task and due date,
// to the task's watchers. Every server process runs passes (the scheduler); they share
// the work through the claim: a conditional update of the task's marker, committed with
// the activity entry and the notifications, so of several processes exactly one sends a
// reminder, and a process killed mid-way sends it again nowhere and skips it nowhere (its
// transaction rolled back, the task is still pending). A new due date re-arms both.

/** How long before its due date a task is reminded of. */
export const DUE_SOON_MS = 24 * 60 * 60 * 1000;

/** What one pass did. */
export interface ReminderPass {
  dueSoon: number;
  overdue: number;
}

/**
 * Sends the reminders due at `now`: first the overdue ones (which also settle a due-soon
 * reminder never sent), then those due within 24 hours; at most `limit` tasks of each
 * kind per pass (the rest wait for the next one, soonest first).
 */
export async function runReminders(
  db: Kysely<Database>,
  now: Date,
  { limit }: { limit: number },
): Promise<ReminderPass> {
  const pass: ReminderPass = { dueSoon: 0, overdue: 0 };
  const nowIso = now.toISOString();
  for (const task of await pendingReminders(db, 'overdue', nowIso, limit)) {
    if (await remind(db, task, 'overdue', now)) pass.overdue += 1;
  }
  const soon = new Date(now.getTime() + DUE_SOON_MS).toISOString();
  for (const task of await pendingReminders(db, 'due_soon', soon, limit)) {
    // Due already (it came due since the overdue read): the next pass sends that one.
    if (task.dueAt <= nowIso) continue;
    if (await remind(db, task, 'due_soon', now)) pass.dueSoon += 1;
  }
  return pass;
}

/** One task's reminder, claimed, logged and told to its watchers in one transaction. */
function remind(
  db: Kysely<Database>,
  task: PendingReminder,
  kind: ReminderKind,
  now: Date,
): Promise<boolean> {
  return writeInWorkspace(
    db,
    task.workspaceId,
    () => now,
    async (trx, at) => {
      if (!(await claimReminder(trx, task, kind, now.toISOString()))) return false;
      const [view] = await loadTaskViews(trx, task.workspaceId, [task.id]);
      if (!view) return false;
      await recordActivity(
        trx,
        {
          workspaceId: task.workspaceId,
          actor: null,
          type: kind === 'overdue' ? 'task.overdue' : 'task.due_soon',
          projectId: view.projectId,
          taskId: view.id,
          data: { task: view, dueAt: task.dueAt },
        },
        at,
      );
      const watchers = await watcherIds(trx, task.workspaceId, task.id);
      await queueNotifications(
        trx,
        watchers.map((userId) => ({
          userId,
          workspaceId: task.workspaceId,
          kind,
          taskId: task.id,
          commentId: null,
          actorId: null,
          data: { task: { id: view.id, key: view.key, title: view.title }, dueAt: task.dueAt },
        })),
        at,
      );
      return true;
    },
  ).catch((error: unknown) => {
    // The workspace was deleted since the read: nothing is left to remind of.
    if (error instanceof TRPCError && error.code === 'NOT_FOUND') return false;
    throw error;
  });
}
