import { EventEmitter } from 'node:events';

// Wakes a person's live inbox feeds (notifications.onNew) when notifications may have been
// written for them. Like the activity bus: the table is the truth, a ring only says when
// to read it, and a ring for a write that is rolled back costs one read. In this process
// insertNotifications rings it; on PostgreSQL other processes' writes ring it through
// NOTIFICATION_CHANNEL (startNotificationFanOut); on SQLite the feeds' periodic re-read
// picks them up.

/** The PostgreSQL channel a notification write announces its recipient on (payload: the
 * user id), delivered at commit. */
export const NOTIFICATION_CHANNEL = 'trellis_notifications';

export class NotificationBus {
  readonly #emitter = new EventEmitter().setMaxListeners(0);

  /** Tells `userId`'s feeds that their inbox may have grown. */
  notify(userId: string): void {
    // After the current transaction's statements: the feeds' reads queue behind it.
    setImmediate(() => this.#emitter.emit(userId));
  }

  /** Tells every feed to re-read (after news may have been missed). */
  notifyAll(): void {
    setImmediate(() => {
      for (const userId of this.#emitter.eventNames()) this.#emitter.emit(userId);
    });
  }

  /** Calls `listener` on every ring for `userId`; returns the unsubscribe. */
  listen(userId: string, listener: () => void): () => void {
    this.#emitter.on(userId, listener);
    return () => this.#emitter.off(userId, listener);
  }
}

/** The process's bus. */
export const notificationBus = new NotificationBus();
