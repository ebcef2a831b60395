import { type Database, dialectOf, type Kysely } from '@trellis/db';
import type { z } from 'zod';
import { anyLogPosition, encodeCursor, type SentLogPosition, zCursor } from '../cursor.js';
import type { activityOutput, activityPageOutput } from '../outputs.js';

/** One entry of the activity log as clients see it. */
export type ActivityView = z.output<typeof activityOutput>;

/** A page of the log, newest first; `nextCursor` is null on the last page. */
export type ActivityPage = z.output<typeof activityPageOutput>;

/**
 * An activity cursor as sent by clients; parses to the position the next page ends before
 * (a workspace entry number, or a global `seq` from before migration 0008).
 */
export const zActivityCursor = zCursor(anyLogPosition);

/** Which page of which log to read. */
export interface ActivityQuery {
  /** Only this task's entries (still only those of the workspace). */
  taskId?: string | undefined;
  /** Only entries numbered below this (`workspace_seq`, from a cursor). */
  before?: number | undefined;
  limit: number;
}

/** The query behind `listActivity`, exposed so that tests can check its plan. */
export function activityQuery(db: Kysely<Database>, workspaceId: string, query: ActivityQuery) {
  let select = db
    .selectFrom('activity')
    .leftJoin('users', 'users.id', 'activity.actor_id')
    .select([
      'activity.workspace_seq as position',
      'activity.id',
      'activity.type',
      'activity.actor_id as actorId',
      'users.name as actorName',
      'activity.api_token_id as apiTokenId',
      'activity.project_id as projectId',
      'activity.task_id as taskId',
      'activity.data',
      'activity.created_at as createdAt',
    ])
    // Always, even with a taskId: another workspace's task id must yield nothing.
    .where('activity.workspace_id', '=', workspaceId);
  if (query.taskId !== undefined) select = select.where('activity.task_id', '=', query.taskId);
  if (query.before !== undefined) {
    select = select.where('activity.workspace_seq', '<', query.before);
  }
  // One row beyond the page tells whether another page follows.
  return select.orderBy('activity.workspace_seq', 'desc').limit(query.limit + 1);
}

/** A page of a workspace's activity log (or of one task's), newest first. */
export async function listActivity(
  db: Kysely<Database>,
  workspaceId: string,
  query: ActivityQuery,
): Promise<ActivityPage> {
  const rows = await activityQuery(db, workspaceId, query).execute();
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => ({
      id: row.id,
      type: row.type,
      actor:
        row.actorId !== null && row.actorName !== null
          ? { userId: row.actorId, name: row.actorName }
          : null,
      apiTokenId: row.apiTokenId,
      projectId: row.projectId,
      taskId: row.taskId,
      data: JSON.parse(row.data) as Record<string, unknown>,
      createdAt: row.createdAt,
    })),
    nextCursor: rows.length > query.limit && last ? encodeCursor({ at: last.position }) : null,
  };
}

/**
 * Takes the workspace's write lock for the rest of the transaction: the lock every writer
 * of its log takes (the entry number's row, `workspaces.activity_seq`), taken first so that
 * whatever the transaction reads and stamps happens after every earlier writer committed.
 * PostgreSQL: a row lock of the strength the number's UPDATE takes (NO KEY: rows that only
 * reference the workspace are not held up). SQLite: the writing transaction's BEGIN
 * IMMEDIATE holds the database's lock already; the read only tells whether the row is
 * there. False when the workspace is gone.
 */
export async function lockWorkspace(db: Kysely<Database>, workspaceId: string): Promise<boolean> {
  const query = db.selectFrom('workspaces').select('id').where('id', '=', workspaceId);
  const row = await (dialectOf(db) === 'postgres'
    ? query.forNoKeyUpdate()
    : query
  ).executeTakeFirst();
  return row !== undefined;
}

/**
 * The time of the workspace's newest entry, or null before its first. Read in a statement
 * of its own after {@link lockWorkspace}: on PostgreSQL a statement sees what committed
 * before it began, so one that waited for the lock would not see the entry of the writer
 * it waited for.
 */
export async function newestEntryTime(
  db: Kysely<Database>,
  workspaceId: string,
): Promise<string | null> {
  const row = await db
    .selectFrom('activity')
    .select('created_at')
    .where('workspace_id', '=', workspaceId)
    .orderBy('workspace_seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.created_at ?? null;
}

/** The number of the workspace's newest entry (0 before its first). */
export async function latestPosition(db: Kysely<Database>, workspaceId: string): Promise<number> {
  const row = await db
    .selectFrom('activity')
    .select((eb) => eb.fn.max('workspace_seq').as('position'))
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  return Number(row?.position ?? 0);
}

/**
 * Where a pre-0008 position (a global `seq`, as event ids and cursors held it) falls in the
 * workspace's numbering: the number of its last entry at or before `seq` (`'at or before'`),
 * or before it (`'before'`); 0 when there is none. Undefined when `seq` is past the last
 * one there was before the upgrade: no such id was ever issued, and answering one would
 * tell the global seq of entries written since (what per-workspace numbers hide).
 */
export async function legacyPosition(
  db: Kysely<Database>,
  workspaceId: string,
  seq: number,
  which: 'at or before' | 'before',
): Promise<number | undefined> {
  const row = await db
    .selectNoFrom((eb) => [
      eb.selectFrom('legacy_event_ids').select('last_seq').as('lastSeq'),
      eb
        .selectFrom('activity')
        .select((inner) => inner.fn.max('workspace_seq').as('position'))
        .where('workspace_id', '=', workspaceId)
        .where('seq', which === 'before' ? '<' : '<=', seq)
        .as('position'),
    ])
    .executeTakeFirstOrThrow();
  if (row.lastSeq === null || seq > Number(row.lastSeq)) return undefined;
  return Number(row.position ?? 0);
}

/**
 * Where the page a cursor asks for ends (entries numbered below it), or undefined for a
 * pre-0008 cursor past the upgrade (see {@link legacyPosition}).
 */
export async function pageEnd(
  db: Kysely<Database>,
  workspaceId: string,
  cursor: SentLogPosition,
): Promise<number | undefined> {
  if ('at' in cursor) return cursor.at;
  // A pre-0008 cursor held the seq of its page's last entry: the next page is what came
  // before that, i.e. up to and including the workspace's last entry before it.
  const position = await legacyPosition(db, workspaceId, cursor.seq, 'before');
  return position === undefined ? undefined : position + 1;
}

/**
 * The workspace's log entries numbered after `after`, in order, at most `limit`, with
 * their data only for the types in `withDataOf`: the others still move a reader's
 * position, so a busy workspace's other entries are not scanned again on every poll.
 */
export function entriesAfter(
  db: Kysely<Database>,
  workspaceId: string,
  after: number,
  read: { withDataOf: readonly string[]; limit: number },
) {
  return db
    .selectFrom('activity')
    .select((eb) => [
      'workspace_seq as position',
      'type',
      eb
        .case()
        .when('type', 'in', read.withDataOf)
        .then(eb.ref('data'))
        .else(null)
        .end()
        .as('data'),
    ])
    .where('workspace_id', '=', workspaceId)
    .where('workspace_seq', '>', after)
    .orderBy('workspace_seq')
    .limit(read.limit)
    .execute();
}
