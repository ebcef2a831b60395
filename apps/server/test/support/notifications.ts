// Notifications for the inbox suites, written the one way the server writes them
// (insertNotifications, in a transaction of the test's own database handle), so the inbox
// is tested whatever derives notifications from changes.
import { insertNotifications } from '@trellis/api/internal';
import type { NotificationEvent, TrellisClient } from '@trellis/client';
import { type Database, type Kysely, newId } from '@trellis/db';
import { subscribeTo } from './subscription.js';

/** Who is told, where, by whom; `count` notifications titled `Task <from>`, `Task <from+1>`… */
export interface Notify {
  userId: string;
  workspaceId: string;
  actorId: string;
  count?: number;
  from?: number;
}

/** Writes the notifications (kind `assigned`, task keys `N-<n>`); answers how many were kept. */
export function notifyDirectly(db: Kysely<Database>, notify: Notify): Promise<number> {
  const { count = 1, from = 1 } = notify;
  return db.transaction().execute((trx) =>
    insertNotifications(
      trx,
      Array.from({ length: count }, (_, i) => ({
        userId: notify.userId,
        workspaceId: notify.workspaceId,
        kind: 'assigned' as const,
        taskId: newId(),
        commentId: null,
        actorId: notify.actorId,
        data: { task: { id: newId(), key: `N-${from + i}`, title: `Task ${from + i}` } },
      })),
      new Date(),
    ),
  );
}

/** One event of notifications.onNew as a subscriber receives it. */
export type InboxEvent = NotificationEvent;

/** notifications.onNew through @trellis/client, read one event at a time, in order (30 s
 * at most per event: a loaded machine is slow, not stuck). */
export function subscribeInbox(client: TrellisClient, input: { lastEventId?: string } = {}) {
  return subscribeTo<InboxEvent>(
    (handlers) => client.notifications.onNew.subscribe(input, handlers),
    { startMs: 10_000, nextMs: 30_000, what: 'the next notification' },
  );
}
