import { type Database, isoNow, type Kysely, newId } from '@trellis/db';
import { activityBus } from '../activity.js';
import { toEvent } from '../events.js';
import { eventRows } from '../queries/events.js';
import {
  claimDueWebhooks,
  eventTypesOf,
  renewLease,
  updateHeldWebhook,
  type WebhookRow,
  workspaceHead,
} from '../queries/webhooks.js';
import { type AttemptResult, isWebhookGone, sendAttempt } from './deliver.js';
import type { WebhookSettings } from './settings.js';

// The delivery worker: webhooks are sent from the activity log, the transactional outbox
// every change is written to in its own transaction. Each endpoint remembers the last
// entry it has dealt with (`cursor`); the worker claims an endpoint (a lease that expires,
// so a crashed process's endpoints are taken over), sends the entries after its cursor one
// at a time in log order, and moves the cursor only after a 2xx. A crash between the answer
// and the cursor's move sends that event again (at least once; receivers dedupe by
// `webhook-id`), never skips one. A failing event holds its endpoint back (order is kept)
// and is retried on WEBHOOK_RETRY_SCHEDULE until WEBHOOK_RETRY_WINDOW has passed since it
// first failed; then the endpoint is disabled with the reason, and nothing is lost: its
// cursor stays before that event until an admin enables it again.

/** How the worker runs. */
export interface WebhookWorkerOptions {
  db: Kysely<Database>;
  settings: WebhookSettings;
  clock?: () => Date;
  /** How often to look for due endpoints when nothing wakes the worker (ms). */
  pollMs?: number;
  /** How long a claim on an endpoint lasts without being renewed (ms). */
  leaseMs?: number;
  /** Endpoints served at once by this process. */
  concurrency?: number;
  /** Told of every attempt (metrics). */
  onAttempt?(result: AttemptResult): void;
  /** Told of errors the worker survives (logged by the server). */
  onError?(error: unknown): void;
}

/** A running worker. */
export interface WebhookWorker {
  /** Looks for due endpoints now. */
  wake(): void;
  /** Stops claiming; waits for the attempts in flight to be written down. */
  close(): Promise<void>;
}

/** Log entries read per query while an endpoint catches up. */
const BATCH_SIZE = 100;

/** The delay before try `attempts + 1` of a failing event: the schedule, with ±20% jitter. */
export function retryDelay(schedule: readonly number[], attempts: number): number {
  const base = schedule[Math.min(attempts - 1, schedule.length - 1)] ?? 0;
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/** Starts delivering; one per server process. */
export function startWebhookWorker(options: WebhookWorkerOptions): WebhookWorker {
  const { db, settings } = options;
  const clock = options.clock ?? (() => new Date());
  const pollMs = options.pollMs ?? 1000;
  const leaseMs = options.leaseMs ?? 60_000;
  const concurrency = options.concurrency ?? 4;
  const owner = newId();
  const active = new Set<Promise<void>>();
  let closed = false;
  let claiming = false;
  let again = false;
  /** The claim running now (close waits for it: it may add to `active`). */
  let claimRun: Promise<void> = Promise.resolve();

  const report = (error: unknown) => options.onError?.(error);

  /** Claims what this process has room for and serves each claimed endpoint. */
  function claim(): Promise<void> {
    if (claiming) {
      again = true;
      return claimRun;
    }
    claiming = true;
    claimRun = claimDue();
    return claimRun;
  }

  async function claimDue(): Promise<void> {
    try {
      do {
        again = false;
        const room = concurrency - active.size;
        if (closed || room <= 0) break;
        const now = clock();
        // A lease names its claim, not just this process: when an admin's change (replay,
        // enabling) drops a lease and this process claims the endpoint again, the serve
        // that held the old lease must find it lost, or its cursor writes would undo the
        // replay and two serves of one endpoint would interleave.
        const claimed = await claimDueWebhooks(db, {
          lease: `${owner}/${newId()}`,
          now,
          until: new Date(now.getTime() + leaseMs),
          limit: room,
        });
        for (const row of claimed) {
          const served = serve(row).then(
            () => {
              active.delete(served);
              if (!closed) void claim();
            },
            (error: unknown) => {
              // No claim at once after an error: the endpoint is due again (its lease is
              // gone, its cursor has not moved), and a fault that lasts (a delivery row the
              // database refuses) would resend its event in a tight loop. The next poll
              // tries again.
              active.delete(served);
              // Deleted mid-attempt: nothing to deliver to, nothing wrong.
              if (!isWebhookGone(error)) report(error);
            },
          );
          active.add(served);
        }
        // A full claim may have left more due endpoints behind.
        if (claimed.length === room) again = true;
      } while (again && !closed);
    } catch (error) {
      report(error);
    } finally {
      claiming = false;
    }
  }

  /** Keeps the claim for another lease; the endpoint as it is now, or null when lost. */
  async function renew(id: string, lease: string): Promise<WebhookRow | null> {
    const until = new Date(clock().getTime() + leaseMs);
    return (await renewLease(db, id, lease, until)) ?? null;
  }

  // The release time stays as `lease_expires_at`: claims take the longest-released first.
  const release = (id: string, lease: string) =>
    updateHeldWebhook(db, id, lease, { lease_owner: null, lease_expires_at: isoNow(clock()) });

  /** Sends a batch of an endpoint's events after its cursor, until one fails. */
  async function serve(claimed: WebhookRow): Promise<void> {
    let row: WebhookRow | null = claimed;
    let cursor = Number(claimed.cursor);
    // Set by the claim's statement, so never null here.
    const lease = claimed.lease_owner ?? owner;
    try {
      // One batch per claim: then the endpoint is released and claimed again behind the
      // ones that waited longer (claimDueWebhooks), so a busy endpoint cannot starve the
      // others of this process's `concurrency`.
      if (!closed && row) {
        const head = await workspaceHead(db, row.workspace_id);
        if (cursor >= head) return;
        const types = eventTypesOf(row);
        const entries = await eventRows(db, row.workspace_id, {
          after: cursor,
          types,
          limit: BATCH_SIZE,
        });
        for (const entry of entries) {
          if (entry.position > head) break;
          row = await renew(row.id, lease);
          if (closed || !row) return;
          // The filter may have changed since the batch was read.
          const wanted = eventTypesOf(row);
          if (wanted === null || wanted.includes(entry.type)) {
            const attempt = Number(row.attempts) + 1;
            const result = await sendAttempt(
              db,
              settings,
              {
                webhook: row,
                event: toEvent(entry),
                position: entry.position,
                attempt,
                trigger: 'event',
              },
              clock,
            );
            options.onAttempt?.(result);
            if (!result.delivered) {
              await failed(row, lease, attempt, result);
              return;
            }
          }
          cursor = entry.position;
          const moved = await updateHeldWebhook(db, row.id, lease, {
            cursor,
            attempts: 0,
            next_attempt_at: null,
            failing_since: null,
          });
          if (!moved) return;
        }
        // Fewer than a batch: every wanted entry up to `head` has been sent; the rest are
        // types this endpoint does not receive.
        if (entries.length < BATCH_SIZE && row && cursor < head) {
          cursor = head;
          if (!(await updateHeldWebhook(db, row.id, lease, { cursor }))) return;
        }
      }
    } finally {
      await release(claimed.id, lease).catch(report);
    }
  }

  /** Schedules the next try of a failed event, or disables the endpoint past the window. */
  async function failed(
    row: WebhookRow,
    lease: string,
    attempt: number,
    result: AttemptResult,
  ): Promise<void> {
    const now = clock();
    const failingSince = row.failing_since ?? isoNow(now);
    const giveUpAt = Date.parse(failingSince) + settings.retryWindowMs;
    if (now.getTime() >= giveUpAt) {
      const reason =
        `Deliveries failed since ${failingSince} (${attempt} tries, the retry window ran out); ` +
        `last error: ${result.error ?? `HTTP ${result.statusCode}`}`;
      await updateHeldWebhook(db, row.id, lease, {
        attempts: attempt,
        failing_since: failingSince,
        next_attempt_at: null,
        enabled: 0,
        disabled_reason: reason,
        updated_at: isoNow(now),
      });
      return;
    }
    const next = Math.min(now.getTime() + retryDelay(settings.retrySchedule, attempt), giveUpAt);
    await updateHeldWebhook(db, row.id, lease, {
      attempts: attempt,
      failing_since: failingSince,
      next_attempt_at: isoNow(new Date(next)),
    });
    // This process looks again when the retry is due, not at the next poll after it (the
    // lease is released by then: `serve` lets go right after this returns).
    const retry = setTimeout(
      () => {
        retryTimers.delete(retry);
        wake();
      },
      Math.max(0, next - now.getTime()) + 1,
    ).unref();
    retryTimers.add(retry);
  }

  /** Wake-ups at the retries this process scheduled. */
  const retryTimers = new Set<NodeJS.Timeout>();

  const wake = () => {
    if (!closed) void claim();
  };
  const unlisten = activityBus.listenAll(wake);
  const timer = setInterval(wake, pollMs).unref();
  wake();

  return {
    wake,
    async close() {
      closed = true;
      clearInterval(timer);
      for (const retry of retryTimers) clearTimeout(retry);
      unlisten();
      // A claim in flight may still start serves (they stop at once, releasing their
      // leases): wait for it first, so that nothing touches the database after close.
      await claimRun;
      await Promise.allSettled([...active]);
    },
  };
}
