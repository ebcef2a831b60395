import { runDigests, runReminders } from '@trellis/api';
import type { Database, Kysely } from '@trellis/db';
import type { FastifyInstance } from 'fastify';
import type { ServerMailer } from './mail/index.js';

/** What the scheduler runs on. */
export interface NotificationSchedulerOptions {
  db: Kysely<Database>;
  now(): Date;
  /** Digests go out only when the server can send mail. */
  mailer: ServerMailer | undefined;
  /** PUBLIC_URL, for the digest's links. */
  publicUrl: string;
  /** REMINDER_INTERVAL_MS: the wait between two passes. */
  intervalMs: number;
}

/** Tasks of each reminder kind, and people, taken per pass. */
export const SCHEDULER_BATCH = 100;

/**
 * Due-date reminders and email digests as a Fastify plugin: every process runs passes
 * (they share the work through claims in the database, so running several is safe and
 * makes nothing twice). A pass starts once the server is ready, then `intervalMs` after
 * the previous one ended (at once again while a pass fills its batch: a backlog drains
 * without waiting). Registered after housekeeping, so on close it stops, and waits for a
 * pass in flight, before the mailer and the database close.
 */
export function notificationScheduler(
  app: FastifyInstance,
  { db, now, mailer, publicUrl, intervalMs }: NotificationSchedulerOptions,
  done: (error?: Error) => void,
): void {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let closed = false;

  const schedule = (ms: number) => {
    if (closed) return;
    timer = setTimeout(() => {
      running = runPass().finally(() => {
        running = undefined;
      });
    }, ms).unref();
  };

  async function runPass(): Promise<void> {
    let full = false;
    try {
      const reminders = await runReminders(db, now(), { limit: SCHEDULER_BATCH });
      full = reminders.dueSoon >= SCHEDULER_BATCH || reminders.overdue >= SCHEDULER_BATCH;
      if (mailer) {
        const sent = await runDigests(db, now(), { limit: SCHEDULER_BATCH, mailer, publicUrl });
        full ||= sent >= SCHEDULER_BATCH;
      }
    } catch (error) {
      // A claim not committed is taken again by the next pass: nothing is lost.
      app.log.error({ err: error }, 'reminder or digest pass failed; retrying next pass');
    }
    schedule(full ? 0 : intervalMs);
  }

  app.addHook('onReady', async () => schedule(0));
  app.addHook('onClose', async () => {
    closed = true;
    clearTimeout(timer);
    await running;
  });
  done();
}
