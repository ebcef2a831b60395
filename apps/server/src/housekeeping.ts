import {
  deleteExpiredIdempotencyKeys,
  purgeTrash,
  startActivityFanOut,
  startNotificationFanOut,
} from '@trellis/api';
import {
  deleteExpiredEmailTokens,
  deleteExpiredRateLimits,
  deleteExpiredSessions,
  deleteExpiredTrustedDevices,
} from '@trellis/auth';
import { type Database, databasePoolStats, type Kysely } from '@trellis/db';
import type { FastifyInstance } from 'fastify';
import type { ServerMailer } from './mail/index.js';
import type { DatabaseStats } from './ops/metrics.js';

/** What the server's background work runs on, and how often. */
export interface HousekeepingOptions {
  db: Kysely<Database>;
  now(): Date;
  mailer: ServerMailer | undefined;
  /** DATABASE_URL: on PostgreSQL, where other processes' activity is listened for. */
  databaseUrl: string;
  /** SESSION_SWEEP_INTERVAL_MS. */
  sweepIntervalMs: number;
  /** TRASH_RETENTION_DAYS: deleted tasks older than this are purged by the sweep. */
  trashRetentionDays: number;
  /** Told when the database has been closed (its connection counts are then 0). */
  database: DatabaseState;
}

/** Whether the server's database is still open, for its connection counts. */
export class DatabaseState {
  open = true;

  constructor(private readonly db: Kysely<Database>) {}

  /** PostgreSQL: the pool's counts; SQLite: its one connection. */
  stats(): DatabaseStats {
    const pool = databasePoolStats(this.db);
    if (pool) return { open: pool.total, idle: pool.idle, waiting: pool.waiting };
    return { open: this.open ? 1 : 0 };
  }
}

const DAY_MS = 24 * 60 * 60 * 1000;
// Rows one purge statement deletes: a sweep after a long outage works through a big trash
// in short statements rather than holding the database in one long one.
const TRASH_PURGE_BATCH = 500;

/** Purges trashed tasks deleted more than `retentionDays` before `now`, a batch at a time. */
async function purgeExpiredTrash(db: Kysely<Database>, now: Date, retentionDays: number) {
  const before = new Date(now.getTime() - retentionDays * DAY_MS);
  while ((await purgeTrash(db, before, TRASH_PURGE_BATCH)) === TRASH_PURGE_BATCH) {
    // A full batch: more may be due.
  }
}

/**
 * The server's background work, as a Fastify plugin: sweeping expired rows, waking live
 * streams with other processes' activity, and closing it all (then the database) in order
 * when the server closes. Registered before every other part, so that its close runs last
 * (Fastify closes plugins in the reverse order of their registration).
 */
export function housekeeping(
  app: FastifyInstance,
  options: HousekeepingOptions,
  done: (error?: Error) => void,
): void {
  const { db, now, mailer, databaseUrl, sweepIntervalMs, database } = options;
  // Expired sessions are deleted when presented; abandoned ones (and finished rate-limit
  // windows, idempotency keys past their 24 hours, and the trash past its retention) are
  // swept here.
  const sweepSessions = () =>
    Promise.all([
      deleteExpiredSessions(db, { now: now() }),
      deleteExpiredRateLimits(db, now()),
      deleteExpiredIdempotencyKeys(db, now()),
      deleteExpiredEmailTokens(db, now()),
      deleteExpiredTrustedDevices(db, now()),
      purgeExpiredTrash(db, now(), options.trashRetentionDays),
    ]).catch((error: unknown) => app.log.error({ err: error }, 'session sweep failed'));
  const sweep = setInterval(sweepSessions, sweepIntervalMs).unref();

  // Other processes' activity wakes this one's live streams at once (PostgreSQL LISTEN;
  // on SQLite the streams' 1 s re-read of the log is how it arrives).
  const activityFanOut = startActivityFanOut(db, databaseUrl, (error) =>
    app.log.warn({ err: error }, 'activity listener lost its connection; reconnecting'),
  );
  // The same for notifications: another process's write wakes this one's inbox feeds.
  const notificationFanOut = startNotificationFanOut(db, databaseUrl, (error) =>
    app.log.warn({ err: error }, 'notification listener lost its connection; reconnecting'),
  );
  // One hook, in this order: nothing may still use the database when it is closed.
  app.addHook('onClose', async () => {
    clearInterval(sweep);
    // Mails already queued get their chance to go out; no more retries are waited for.
    await mailer?.close();
    await activityFanOut.close();
    await notificationFanOut.close();
    database.open = false;
    await db.destroy();
  });
  done();
}
