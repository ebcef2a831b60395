import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { encodeCursor, unknownPosition, zCursor, zPageDirection } from '../cursor.js';
import {
  DIGEST_INTERVAL_MINUTES,
  NOTIFICATION_KINDS,
  type NotificationKind,
} from '../notifications/kinds.js';
import {
  markedReadOutput,
  notificationPageOutput,
  notificationPreferencesOutput,
  unreadCountOutput,
} from '../outputs.js';
import {
  countUnread,
  getPreferences,
  latestInboxSeq,
  listNotifications,
  markNotificationsRead,
  updatePreferences,
} from '../queries/inbox.js';
import { zId } from '../schemas.js';
import { protectedProcedure } from '../trpc.js';
import { onNewNotification } from './notifications-on-new.js';
import { unsubscribeProcedures } from './notifications-unsubscribe.js';

// A person's inbox: what they were told about (written by insertNotifications, in the
// transaction of the change that caused it), across all their workspaces. People only (API
// tokens act for programs, which have no inbox), and each sees only their own, and only
// from workspaces they are still a member of (queries/inbox.ts).

/** A list cursor: the page goes on below this notification number. */
const zListCursor = zCursor(
  z.object({ before: z.number().int().positive().max(Number.MAX_SAFE_INTEGER) }).strict(),
);

/** The most ids one markRead takes (a page is at most 100). */
const MARK_READ_MAX_IDS = 500;

const zKinds = z
  .object(
    Object.fromEntries(NOTIFICATION_KINDS.map((kind) => [kind, z.boolean().optional()])) as Record<
      NotificationKind,
      z.ZodOptional<z.ZodBoolean>
    >,
  )
  .strict();

export const notificationsRouter = {
  /**
   * The caller's notifications, newest first, a page at a time (`nextCursor` is null on
   * the last page); `unreadOnly` leaves out the read ones. Every field is optional, so the
   * input may be left out (`GET /trpc/notifications.list`): it is read as `{}`.
   */
  list: protectedProcedure
    .input(
      z
        .object({
          cursor: zListCursor.optional(),
          direction: zPageDirection,
          unreadOnly: z.boolean().default(false),
          limit: z.number().int().min(1).max(100).default(50),
        })
        .strict()
        // prefault, not default: `{}` is parsed, so the fields' defaults fill it in.
        .prefault({}),
    )
    .output(notificationPageOutput)
    .query(async ({ ctx, input }) => {
      const before = input.cursor?.before;
      // A cursor past the newest number was never issued: refused by name, not read as "all".
      if (before !== undefined && before > (await latestInboxSeq(ctx.db, ctx.user.id))) {
        throw unknownPosition('cursor', 'cursor');
      }
      const page = await listNotifications(ctx.db, ctx.user.id, {
        before,
        unreadOnly: input.unreadOnly,
        limit: input.limit,
      });
      return {
        items: page.items,
        nextCursor: page.nextBefore === null ? null : encodeCursor({ before: page.nextBefore }),
      };
    }),

  /**
   * Marks notifications read: `ids` (ids that are not the caller's, unknown or already read
   * are skipped, never an error: nobody learns whether another person's id exists) or
   * `all: true`. Answers how many this call marked.
   */
  markRead: protectedProcedure
    .input(
      z
        .object({
          ids: z.array(zId).min(1).max(MARK_READ_MAX_IDS).optional(),
          all: z.literal(true).optional(),
        })
        .strict()
        .superRefine((value, ctx) => {
          if ((value.ids === undefined) === (value.all === undefined)) {
            ctx.addIssue({
              code: 'custom',
              path: value.ids === undefined ? ['ids'] : ['all'],
              message: 'Pass either `ids` or `all: true`, not both or neither',
            });
          }
        }),
    )
    .output(markedReadOutput)
    .mutation(async ({ ctx, input }) => {
      const which = input.all ? 'all' : [...new Set(input.ids)];
      return { marked: await markNotificationsRead(ctx.db, ctx.user.id, which, ctx.now()) };
    }),

  /** How many of the caller's notifications are unread. */
  unreadCount: protectedProcedure
    .output(unreadCountOutput)
    .query(async ({ ctx }) => ({ count: await countUnread(ctx.db, ctx.user.id) })),

  onNew: onNewNotification,

  // notifications.unsubscribe: the digest mail's link (public; the reminders' side).
  ...unsubscribeProcedures,

  preferences: {
    /** The caller's preferences: the defaults until they change one. */
    get: protectedProcedure
      .output(notificationPreferencesOutput)
      .query(({ ctx }) => getPreferences(ctx.db, ctx.user.id)),

    /** Changes the fields (and kinds) given; the rest stay. Answers the result. */
    update: protectedProcedure
      .input(
        z
          .object({
            kinds: zKinds.optional(),
            email: z.boolean().optional(),
            emailIntervalMinutes: z
              .number()
              .int()
              .min(DIGEST_INTERVAL_MINUTES.min)
              .max(DIGEST_INTERVAL_MINUTES.max)
              .optional(),
          })
          .strict(),
      )
      .output(notificationPreferencesOutput)
      .mutation(({ ctx, input }) => updatePreferences(ctx.db, ctx.user.id, input)),
  },
} satisfies TRPCRouterRecord;
