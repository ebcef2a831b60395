import type { Database, Kysely } from '@trellis/db';
import type { NotificationKind } from '../notifications/kinds.js';
import type { NotificationData } from './notifications.js';

// The SQL of email digests. What is still to be mailed is a notification neither mailed
// nor read: notifications_unmailed_idx holds exactly those (the predicates below are the
// index's, written the same way, so SQLite can see the query fits it).

/** Someone with notifications waiting to be mailed, and a verified address to mail. */
export interface DigestCandidate {
  userId: string;
  email: string;
  name: string;
  preferences: string | null;
  lastDigestAt: string | null;
}

/** The query for up to `limit` people with unmailed notifications (plan tests). */
export function digestCandidatesQuery(db: Kysely<Database>, limit: number) {
  return (
    db
      .selectFrom((eb) =>
        eb
          .selectFrom('notifications')
          .select('user_id')
          .distinct()
          .where('emailed_at', 'is', null)
          .where('read_at', 'is', null)
          .orderBy('user_id')
          .limit(limit)
          .as('waiting'),
      )
      .innerJoin('users', 'users.id', 'waiting.user_id')
      .leftJoin('inboxes', 'inboxes.user_id', 'waiting.user_id')
      .select([
        'users.id as userId',
        'users.email',
        'users.name',
        'inboxes.preferences',
        'inboxes.last_digest_at as lastDigestAt',
      ])
      // An address never proven to be the account's gets no mail about its workspaces.
      .where('users.email_verified_at', 'is not', null)
  );
}

/** Up to `limit` people with unmailed notifications and a verified address. */
export function digestCandidates(db: Kysely<Database>, limit: number): Promise<DigestCandidate[]> {
  return digestCandidatesQuery(db, limit).execute();
}

/**
 * Takes a person's next digest: moves `last_digest_at` from the value read (`seen`) to
 * `at`. The inbox row stays locked until commit, so no notification can be added for them
 * meanwhile (insertNotifications takes the same row first). False when another process
 * took it first.
 */
export async function claimDigest(
  trx: Kysely<Database>,
  userId: string,
  seen: string | null,
  at: string,
): Promise<boolean> {
  const result = await trx
    .updateTable('inboxes')
    .set({ last_digest_at: at })
    .where('user_id', '=', userId)
    .where('last_digest_at', seen === null ? 'is' : '=', seen)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Puts `last_digest_at` back (a claimed digest that had nothing to list). */
export async function restoreLastDigest(
  trx: Kysely<Database>,
  userId: string,
  previous: string | null,
): Promise<void> {
  await trx
    .updateTable('inboxes')
    .set({ last_digest_at: previous })
    .where('user_id', '=', userId)
    .execute();
}

/** One notification as a digest lists it. */
export interface DigestEntry {
  id: string;
  kind: NotificationKind;
  workspaceName: string;
  actorName: string | null;
  data: NotificationData;
  createdAt: string;
}

/**
 * A person's unmailed, unread notifications from workspaces they are still a member of,
 * oldest first, at most `limit`; and how many such there are in all.
 */
export async function unmailedEntries(
  trx: Kysely<Database>,
  userId: string,
  limit: number,
): Promise<{ entries: DigestEntry[]; total: number }> {
  const base = trx
    .selectFrom('notifications')
    .innerJoin('memberships', (join) =>
      join
        .onRef('memberships.workspace_id', '=', 'notifications.workspace_id')
        .onRef('memberships.user_id', '=', 'notifications.user_id'),
    )
    .where('notifications.user_id', '=', userId)
    .where('notifications.emailed_at', 'is', null)
    .where('notifications.read_at', 'is', null);
  const rows = await base
    .innerJoin('workspaces', 'workspaces.id', 'notifications.workspace_id')
    .leftJoin('users as actors', 'actors.id', 'notifications.actor_id')
    .select([
      'notifications.id',
      'notifications.kind',
      'workspaces.name as workspaceName',
      'actors.name as actorName',
      'notifications.data',
      'notifications.created_at as createdAt',
    ])
    .orderBy('notifications.seq')
    .limit(limit)
    .execute();
  const counted = await base
    .select((eb) => eb.fn.countAll<number | string>().as('total'))
    .executeTakeFirstOrThrow();
  return {
    entries: rows.map((row) => ({
      ...row,
      kind: row.kind as NotificationKind,
      data: JSON.parse(row.data) as NotificationData,
    })),
    total: Number(counted.total),
  };
}

/**
 * Marks every unmailed, unread notification of a person mailed at `at` (also those of
 * workspaces they left, which are never mailed: they drop out of the digest's scan).
 */
export async function markMailed(trx: Kysely<Database>, userId: string, at: string): Promise<void> {
  await trx
    .updateTable('notifications')
    .set({ emailed_at: at })
    .where('user_id', '=', userId)
    .where('emailed_at', 'is', null)
    .where('read_at', 'is', null)
    .execute();
}

/** Keeps the hash of a digest's unsubscribe secret on its newest notification. */
export async function keepUnsubscribeSecret(
  trx: Kysely<Database>,
  notificationId: string,
  secretHash: string,
): Promise<void> {
  await trx
    .updateTable('notifications')
    .set({ digest_secret_hash: secretHash })
    .where('id', '=', notificationId)
    .execute();
}

/**
 * The notification an unsubscribe link names, if it was mailed at or after `since`: its
 * recipient and the hash of its digest's secret (null if it was never a digest's newest).
 */
export async function mailedNotificationOwner(
  db: Kysely<Database>,
  id: string,
  since: string,
): Promise<{ userId: string; secretHash: string | null } | null> {
  const row = await db
    .selectFrom('notifications')
    .select(['user_id', 'digest_secret_hash'])
    .where('id', '=', id)
    .where('emailed_at', 'is not', null)
    .where('emailed_at', '>=', since)
    .executeTakeFirst();
  return row ? { userId: row.user_id, secretHash: row.digest_secret_hash } : null;
}
