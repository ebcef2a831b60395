import { type Database, dialectOf, isoNow, type Kysely, newId } from '@trellis/db';
import { sql } from 'kysely';
import { NOTIFICATION_CHANNEL, notificationBus } from '../notifications/bus.js';
import { type NotificationKind, preferencesOf } from '../notifications/kinds.js';

/** The task a notification is about, as it was when it was written. */
export interface NotifiedTask {
  id: string;
  key: string;
  title: string;
}

/** What a notification shows besides its kind (stored as `notifications.data`). */
export interface NotificationData {
  task: NotifiedTask;
  /** The start of the comment (commented, mentioned in a comment). */
  excerpt?: string;
  /** status_changed: the state's name before and after. */
  change?: { from: string; to: string };
  /** due_soon, overdue: the due date reminded of. */
  dueAt?: string;
}

/** One notification to write. */
export interface NewNotification {
  userId: string;
  workspaceId: string;
  kind: NotificationKind;
  taskId: string | null;
  commentId: string | null;
  /** Who did it (never the recipient: nobody is told of their own actions). */
  actorId: string | null;
  data: NotificationData;
}

/**
 * Writes notifications in the caller's transaction, numbering each recipient's in order
 * (their `inboxes` row is locked until commit, so a recipient's numbers commit in number
 * order). Drops, without error: a notification of its own actor, one for someone who is
 * not (or no longer) a member of its workspace, and a kind its recipient turned off.
 * Recipients are locked in id order, so two writers never wait for each other. Answers
 * how many were written.
 */
export async function insertNotifications(
  trx: Kysely<Database>,
  notifications: readonly NewNotification[],
  at: Date,
): Promise<number> {
  const wanted = notifications.filter((n) => n.userId !== n.actorId);
  if (wanted.length === 0) return 0;
  const userIds = [...new Set(wanted.map((n) => n.userId))].sort();
  const workspaceIds = [...new Set(wanted.map((n) => n.workspaceId))];
  const members = await trx
    .selectFrom('memberships')
    .select(['user_id', 'workspace_id'])
    .where('user_id', 'in', userIds)
    .where('workspace_id', 'in', workspaceIds)
    .execute();
  const isMember = new Set(members.map((m) => `${m.workspace_id}:${m.user_id}`));
  const inboxes = await trx
    .selectFrom('inboxes')
    .select(['user_id', 'preferences'])
    .where('user_id', 'in', userIds)
    .execute();
  const stored = new Map(inboxes.map((row) => [row.user_id, row.preferences]));
  const delivered = wanted.filter(
    (n) =>
      isMember.has(`${n.workspaceId}:${n.userId}`) &&
      preferencesOf(stored.get(n.userId) ?? null).kinds[n.kind],
  );
  const createdAt = isoNow(at);
  const postgres = dialectOf(trx) === 'postgres';
  let written = 0;
  for (const userId of userIds) {
    const mine = delivered.filter((n) => n.userId === userId);
    if (mine.length === 0) continue;
    const bumped = await trx
      .insertInto('inboxes')
      .values({ user_id: userId, seq: mine.length, preferences: null, last_digest_at: null })
      .onConflict((oc) =>
        oc.column('user_id').doUpdateSet((eb) => ({
          seq: eb('inboxes.seq', '+', eb.ref('excluded.seq')),
        })),
      )
      .returning((eb) =>
        postgres
          ? ['seq', sql<null>`pg_notify(${NOTIFICATION_CHANNEL}, ${eb.ref('user_id')})`.as('rung')]
          : ['seq'],
      )
      .executeTakeFirstOrThrow();
    const first = Number(bumped.seq) - mine.length + 1;
    await trx
      .insertInto('notifications')
      .values(
        mine.map((n, index) => ({
          id: newId(),
          user_id: userId,
          seq: first + index,
          workspace_id: n.workspaceId,
          kind: n.kind,
          task_id: n.taskId,
          comment_id: n.commentId,
          actor_id: n.actorId,
          data: JSON.stringify(n.data),
          created_at: createdAt,
          read_at: null,
          emailed_at: null,
        })),
      )
      .execute();
    notificationBus.notify(userId);
    written += mine.length;
  }
  return written;
}

/** Notifications a transaction has queued, written together before it commits. */
interface Batch {
  list: NewNotification[];
  at: Date;
}
const batches = new WeakMap<Kysely<Database>, Batch>();

/**
 * Runs `write` in `trx` with the notifications it queues (queueNotifications) written in
 * one insertNotifications call at its end. One call locks the transaction's recipients'
 * inbox rows once, in id order; several calls (a bulk update of 500 tasks, one entry
 * each) would lock them in no one order across transactions, and two such writers
 * sharing recipients could deadlock on PostgreSQL. writeInWorkspace runs every write in
 * here.
 */
export async function withQueuedNotifications<T>(
  trx: Kysely<Database>,
  write: () => Promise<T>,
): Promise<T> {
  if (batches.has(trx)) return write();
  const batch: Batch = { list: [], at: new Date(0) };
  batches.set(trx, batch);
  try {
    const result = await write();
    if (batch.list.length > 0) await insertNotifications(trx, batch.list, batch.at);
    return result;
  } finally {
    batches.delete(trx);
  }
}

/**
 * Queues notifications for the end of the transaction's withQueuedNotifications (stamped
 * with the latest change's time), or writes them at once in a transaction without one.
 */
export async function queueNotifications(
  trx: Kysely<Database>,
  notifications: readonly NewNotification[],
  at: Date,
): Promise<void> {
  const batch = batches.get(trx);
  if (!batch) {
    await insertNotifications(trx, notifications, at);
    return;
  }
  batch.list.push(...notifications);
  if (at.getTime() > batch.at.getTime()) batch.at = at;
}
