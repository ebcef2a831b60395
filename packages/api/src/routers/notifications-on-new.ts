import { tracked } from '@trpc/server';
import { z } from 'zod';
import { identify } from '../access.js';
import type { Context } from '../context.js';
import { encodeCursor, unknownPosition, zCursor } from '../cursor.js';
import { notificationBus } from '../notifications/bus.js';
import type { notificationEventOutput } from '../outputs.js';
import { latestInboxSeq, notificationsAfter } from '../queries/inbox.js';
import { streamWakeups } from '../stream-wakeups.js';
import { protectedProcedure } from '../trpc.js';
import { STREAM_START_HEADER } from './tasks-on-change.js';

// The inbox's live feed, built like tasks.onChange: the notifications table is the truth
// and an event id is a position in the person's own numbering (`seq`, taken under their
// inbox row's lock, so numbers commit in order and a feed that has read 12 never has to
// look back for 11). Resuming with the last id replays exactly what was missed, whichever
// process served the stream before.

/** One event of the feed. */
export type NotificationEvent = z.output<typeof notificationEventOutput>;

/** Notifications read per query, while replaying or catching up. */
const BATCH_SIZE = 200;

// Position 0, before a person's first notification, is where a stream over an empty
// inbox starts (STREAM_START_HEADER).
const zEventId = zCursor(
  z.object({ n: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) }).strict(),
  'event id',
);

/** What the feed needs to re-check that its caller is still signed in. */
type Subscriber = Pick<Context, 'db' | 'config' | 'credential' | 'now'> & {
  user: { id: string };
};

/** The subscribe-time check again: the same credential still names the same person. */
async function stillSignedIn(ctx: Subscriber): Promise<boolean> {
  const principal = await identify(ctx.db, ctx.credential, {
    now: ctx.now(),
    policy: ctx.config.sessionPolicy,
  });
  return (
    !('refused' in principal) && principal.kind === 'user' && principal.user.id === ctx.user.id
  );
}

async function* newNotifications(ctx: Subscriber, start: number, signal: AbortSignal | undefined) {
  const wake = streamWakeups((fire) => notificationBus.listen(ctx.user.id, fire), signal);
  let position = start;
  try {
    while (!signal?.aborted) {
      let entries: Awaited<ReturnType<typeof notificationsAfter>>;
      do {
        entries = await notificationsAfter(ctx.db, ctx.user.id, position, BATCH_SIZE);
        for (const entry of entries) {
          position = entry.seq;
          const event: NotificationEvent = {
            notification: entry.notification,
            unreadCount: entry.unreadCount,
          };
          yield tracked(encodeCursor({ n: entry.seq }), event);
        }
      } while (entries.length === BATCH_SIZE && !signal?.aborted);
      await wake.next();
      if (signal?.aborted || !(await stillSignedIn(ctx))) return;
    }
  } finally {
    wake.close();
  }
}

/**
 * People: their new notifications as they arrive, over SSE, each with the unread count as
 * of it. Resubscribing with `lastEventId` replays every notification after it, in order;
 * without one the stream starts from now. An id never issued to this person is BAD_REQUEST.
 * Only notifications from workspaces the person is a member of are sent (at the time each
 * is read); a signed-out session's stream ends.
 */
export const onNewNotification = protectedProcedure
  // No input at all is `{}` (start from now), as notifications.list reads it.
  .input(z.object({ lastEventId: zEventId.optional() }).strict().prefault({}))
  // Returns the generator from an async function, as tasks.onChange does: the start is
  // fixed before the client hears "connected".
  .subscription(async ({ ctx, input, signal }) => {
    const latest = await latestInboxSeq(ctx.db, ctx.user.id);
    const after = input.lastEventId?.n ?? latest;
    if (after > latest) throw unknownPosition('lastEventId', 'event id');
    ctx.setHeader(STREAM_START_HEADER, encodeCursor({ n: after }));
    return newNotifications(ctx, after, signal);
  });
