import { type Database, dialectOf, type Kysely, listenForNotifications } from '@trellis/db';
import { NOTIFICATION_CHANNEL, type NotificationBus, notificationBus } from './bus.js';

// Inbox feeds across server processes: on PostgreSQL every notification write announces
// its recipient on NOTIFICATION_CHANNEL at commit (insertNotifications), and each process
// listens on one connection of its own and rings its bus, so a person's notifications.onNew
// streams read the news at once whichever process wrote it. On SQLite there is no such
// signal: the streams' 1 s re-read is how other processes' writes arrive. Built like the
// activity fan-out (../activity-listener.ts).

/** A running fan-out; `close()` stops it (the server's shutdown does). */
export interface NotificationFanOut {
  close(): Promise<void>;
}

/**
 * Starts relaying other processes' notification writes to `bus` (this process's by
 * default) for the database `db` opened from `databaseUrl`; on SQLite, does nothing.
 * `onError` hears about a lost connection, which is retried with backoff while the feeds'
 * polling covers the gap.
 */
export function startNotificationFanOut(
  db: Kysely<Database>,
  databaseUrl: string,
  onError: (error: Error) => void,
  bus: NotificationBus = notificationBus,
): NotificationFanOut {
  if (dialectOf(db) !== 'postgres') return { close: async () => undefined };
  let heardBefore = false;
  return listenForNotifications(databaseUrl, NOTIFICATION_CHANNEL, {
    onNotification: (userId) => bus.notify(userId),
    // After a reconnect, whatever was sent while the connection was down went unheard.
    onListening: () => {
      if (heardBefore) bus.notifyAll();
      heardBefore = true;
    },
    onError,
  });
}
