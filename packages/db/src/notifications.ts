import pg from 'pg';

// PostgreSQL LISTEN on one dedicated connection (a pooled one would drop the LISTEN when
// returned to the pool). The connection comes back by itself after the database restarts
// or the network drops, with growing pauses between attempts.

/** What a listener does with what it hears; every callback is optional but the first. */
export interface NotificationHandlers {
  /** Each notification's payload ('' when the sender gave none). */
  onNotification(payload: string): void;
  /** The connection listens (again): anything sent while it was down was not heard. */
  onListening?(): void;
  /** The connection failed or dropped; a reconnect follows. */
  onError?(error: Error): void;
}

/** A running listener. */
export interface NotificationListener {
  /** Stops listening and closes the connection (no reconnect after it). */
  close(): Promise<void>;
}

/** Pauses between reconnect attempts: doubling from the first to the last, then staying. */
const FIRST_RETRY_MS = 100;
const LAST_RETRY_MS = 5000;

/**
 * Listens on `channel` of the PostgreSQL database at `connectionString` until closed,
 * reconnecting with backoff whenever the connection is lost.
 */
export function listenForNotifications(
  connectionString: string,
  channel: string,
  handlers: NotificationHandlers,
): NotificationListener {
  let current: pg.Client | null = null;
  let closed = false;
  let retryMs = FIRST_RETRY_MS;
  let retryTimer: NodeJS.Timeout | undefined;

  const drop = (client: pg.Client) => {
    client.removeAllListeners();
    // A late socket error on a client being discarded has nobody left to tell.
    client.on('error', () => undefined);
    return client.end().catch(() => undefined);
  };

  // Each client retries at most once: its 'error' and 'end' may both fire.
  const retry = (client: pg.Client, error?: Error) => {
    if (closed || current !== client) return;
    current = null;
    if (error) handlers.onError?.(error);
    void drop(client);
    retryTimer = setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, LAST_RETRY_MS);
  };

  const connect = async () => {
    // Named, so that an operator can tell it from pooled connections in pg_stat_activity.
    const client = new pg.Client({
      connectionString,
      keepAlive: true,
      application_name: `trellis listen ${channel}`,
    });
    current = client;
    client.on('notification', (message) => {
      if (message.channel === channel) handlers.onNotification(message.payload ?? '');
    });
    client.on('error', (error) => retry(client, error));
    client.on('end', () => retry(client, new Error('the LISTEN connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
    } catch (error) {
      retry(client, error instanceof Error ? error : new Error(String(error)));
      return;
    }
    if (current !== client) return;
    retryMs = FIRST_RETRY_MS;
    handlers.onListening?.();
  };

  void connect();
  return {
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      const client = current;
      current = null;
      if (client) await drop(client);
    },
  };
}
