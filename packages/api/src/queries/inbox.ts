import { type Database, isoNow, type Kysely } from '@trellis/db';
import type { z } from 'zod';
import {
  DEFAULT_PREFERENCES,
  type NotificationKind,
  type NotificationPreferences,
  preferencesOf,
} from '../notifications/kinds.js';
import type { notificationOutput } from '../outputs.js';
import type { NotificationData } from './notifications.js';

// Reading a person's inbox. Every read joins `memberships`: a notification from a
// workspace its recipient has left (or was removed from) is kept but never shown, counted
// or streamed; it shows again if they rejoin. Rows are written only by
// insertNotifications (./notifications.ts).

/** A notification as the inbox answers it. */
export type NotificationView = z.output<typeof notificationOutput>;

/** The recipient's notifications that are visible: in a workspace they are a member of. */
function visible(db: Kysely<Database>, userId: string) {
  return db
    .selectFrom('notifications as n')
    .innerJoin('memberships as m', (join) =>
      join.onRef('m.workspace_id', '=', 'n.workspace_id').onRef('m.user_id', '=', 'n.user_id'),
    )
    .where('n.user_id', '=', userId);
}

interface NotificationRow {
  id: string;
  seq: number;
  kind: string;
  workspace_id: string;
  comment_id: string | null;
  actor_id: string | null;
  actor_name: string | null;
  data: string;
  created_at: string;
  read_at: string | null;
}

/** The rows `visible` selects, with the actor's current name (null once their account is gone). */
function selectRows(db: Kysely<Database>, userId: string) {
  return visible(db, userId)
    .leftJoin('users as actor', 'actor.id', 'n.actor_id')
    .select([
      'n.id',
      'n.seq',
      'n.kind',
      'n.workspace_id',
      'n.comment_id',
      'n.actor_id',
      'actor.name as actor_name',
      'n.data',
      'n.created_at',
      'n.read_at',
    ]);
}

function toView(row: NotificationRow): NotificationView {
  const data = JSON.parse(row.data) as NotificationData;
  return {
    id: row.id,
    kind: row.kind as NotificationKind,
    workspaceId: row.workspace_id,
    task: { id: data.task.id, key: data.task.key, title: data.task.title },
    commentId: row.comment_id,
    actor:
      row.actor_id !== null && row.actor_name !== null
        ? { id: row.actor_id, name: row.actor_name }
        : null,
    ...(data.excerpt !== undefined ? { excerpt: data.excerpt } : {}),
    ...(data.change !== undefined ? { change: data.change } : {}),
    ...(data.dueAt !== undefined ? { dueAt: data.dueAt } : {}),
    createdAt: row.created_at,
    readAt: row.read_at,
  };
}

/** The number of the recipient's newest notification (0 before their first). */
export async function latestInboxSeq(db: Kysely<Database>, userId: string): Promise<number> {
  const row = await db
    .selectFrom('inboxes')
    .select('seq')
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row === undefined ? 0 : Number(row.seq);
}

/** One page of the inbox, newest first: numbers below `before` (all when undefined). */
export async function listNotifications(
  db: Kysely<Database>,
  userId: string,
  options: { before: number | undefined; unreadOnly: boolean; limit: number },
): Promise<{ items: NotificationView[]; nextBefore: number | null }> {
  let query = selectRows(db, userId);
  if (options.before !== undefined) query = query.where('n.seq', '<', options.before);
  if (options.unreadOnly) query = query.where('n.read_at', 'is', null);
  const rows = await query
    .orderBy('n.seq', 'desc')
    .limit(options.limit + 1)
    .execute();
  const page = rows.slice(0, options.limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => toView({ ...row, seq: Number(row.seq) })),
    nextBefore: rows.length > options.limit && last !== undefined ? Number(last.seq) : null,
  };
}

/** How many visible notifications are unread, counting only numbers up to `upTo` if given. */
export async function countUnread(
  db: Kysely<Database>,
  userId: string,
  upTo?: number,
): Promise<number> {
  let query = visible(db, userId).where('n.read_at', 'is', null);
  if (upTo !== undefined) query = query.where('n.seq', '<=', upTo);
  const row = await query
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .executeTakeFirst();
  return Number(row?.count ?? 0);
}

/** A notification of the live feed, with the unread count as of it. */
export interface InboxFeedEntry {
  seq: number;
  notification: NotificationView;
  /** Unread visible notifications numbered up to and including this one. */
  unreadCount: number;
}

/**
 * Visible notifications numbered after `after`, oldest first, each with the unread count
 * as of it: the count before the batch, plus the batch's own unread ones so far. So the
 * count an event carries is what unreadCount answered right after that notification was
 * written (less what was marked read since).
 */
export async function notificationsAfter(
  db: Kysely<Database>,
  userId: string,
  after: number,
  limit: number,
): Promise<InboxFeedEntry[]> {
  const rowsAfter = (reader: Kysely<Database>) =>
    selectRows(reader, userId).where('n.seq', '>', after).orderBy('n.seq', 'asc').limit(limit);
  // Most wake-ups find nothing: only news pays for the snapshot that keeps the rows and
  // the count they start from in agreement with each other.
  if ((await rowsAfter(db).select('n.seq').limit(1).execute()).length === 0) return [];
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (trx) => {
      const rows = await rowsAfter(trx).execute();
      let unread = await countUnread(trx, userId, after);
      return rows.map((row) => {
        if (row.read_at === null) unread += 1;
        const seq = Number(row.seq);
        return { seq, notification: toView({ ...row, seq }), unreadCount: unread };
      });
    });
}

/**
 * Marks the recipient's unread notifications read: those of `ids` (others' ids, unknown
 * ids and ones already read are skipped) or, for `'all'`, every one. Only visible ones:
 * what a person cannot see, they cannot have read. Answers how many changed.
 */
export async function markNotificationsRead(
  db: Kysely<Database>,
  userId: string,
  which: readonly string[] | 'all',
  at: Date,
): Promise<number> {
  if (which !== 'all' && which.length === 0) return 0;
  let query = db
    .updateTable('notifications')
    .set({ read_at: isoNow(at) })
    .where('user_id', '=', userId)
    .where('read_at', 'is', null)
    .where('workspace_id', 'in', (eb) =>
      eb.selectFrom('memberships').select('workspace_id').where('user_id', '=', userId),
    );
  if (which !== 'all') query = query.where('id', 'in', [...which]);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** The recipient's preferences (the defaults until they change one). */
export async function getPreferences(
  db: Kysely<Database>,
  userId: string,
): Promise<NotificationPreferences> {
  const row = await db
    .selectFrom('inboxes')
    .select('preferences')
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row === undefined ? DEFAULT_PREFERENCES : preferencesOf(row.preferences);
}

/** What preferences.update may change: any of the fields, any of the kinds. */
export interface PreferencesPatch {
  kinds?: Partial<Record<NotificationKind, boolean>>;
  email?: boolean;
  emailIntervalMinutes?: number;
}

/**
 * Applies `patch` to the recipient's preferences in one transaction and answers the
 * result. The inbox row is created or locked first (the same upsert insertNotifications
 * takes it with), so two concurrent updates of different fields both stick.
 */
export async function updatePreferences(
  db: Kysely<Database>,
  userId: string,
  patch: PreferencesPatch,
): Promise<NotificationPreferences> {
  return db.transaction().execute(async (trx) => {
    const locked = await trx
      .insertInto('inboxes')
      .values({ user_id: userId, seq: 0, preferences: null, last_digest_at: null })
      .onConflict((oc) =>
        oc.column('user_id').doUpdateSet((eb) => ({ seq: eb.ref('inboxes.seq') })),
      )
      .returning('preferences')
      .executeTakeFirstOrThrow();
    const current = preferencesOf(locked.preferences);
    const next: NotificationPreferences = {
      kinds: { ...current.kinds, ...patch.kinds },
      email: patch.email ?? current.email,
      emailIntervalMinutes: patch.emailIntervalMinutes ?? current.emailIntervalMinutes,
    };
    await trx
      .updateTable('inboxes')
      .set({ preferences: JSON.stringify(next) })
      .where('user_id', '=', userId)
      .execute();
    return next;
  });
}
