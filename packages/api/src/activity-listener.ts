import { type Database, dialectOf, type Kysely, listenForNotifications } from '@trellis/db';
import { ACTIVITY_CHANNEL, type ActivityBus, activityBus } from './activity.js';

// Live updates across server processes. On PostgreSQL every activity write notifies
// ACTIVITY_CHANNEL at commit, and each process listens on one connection of its own and
// rings its bus, so its tasks.onChange streams read the news at once. On SQLite there is
// no such signal: the streams' 1 s re-read of the log is how other processes' writes
// arrive. Either way the log is the truth and the signal only says when to read it.

/** A running fan-out; `close()` stops it (the server's shutdown does). */
export interface ActivityFanOut {
  close(): Promise<void>;
}

/**
 * Starts relaying other processes' activity to `bus` (this process's by default) for the
 * database `db` opened from `databaseUrl`; on SQLite, does nothing. `onError` hears about
 * a lost connection, which is retried with backoff while polling covers the gap.
 */
export function startActivityFanOut(
  db: Kysely<Database>,
  databaseUrl: string,
  onError: (error: Error) => void,
  bus: ActivityBus = activityBus,
): ActivityFanOut {
  if (dialectOf(db) !== 'postgres') return { close: async () => undefined };
  let heardBefore = false;
  return listenForNotifications(databaseUrl, ACTIVITY_CHANNEL, {
    onNotification: (workspaceId) => bus.notify(workspaceId),
    // After a reconnect, whatever was sent while the connection was down went unheard.
    onListening: () => {
      if (heardBefore) bus.notifyAll();
      heardBefore = true;
    },
    onError,
  });
}
