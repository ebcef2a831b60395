import type { Database, Kysely } from '@trellis/db';

/** An activity entry as events are built from it. */
export interface EventRow {
  id: string;
  type: string;
  workspaceId: string;
  /** Its number in the workspace's log. */
  position: number;
  actorId: string | null;
  actorName: string | null;
  /** JSON. */
  data: string;
  createdAt: string;
}

/** Which entries of a workspace's log to read, in log order. */
export interface EventRange {
  /** Only entries numbered after this (0: from the first). */
  after: number;
  /** Only these types; undefined or null = every type. */
  types?: readonly string[] | null | undefined;
  limit: number;
}

/** A workspace's entries with what events are built from (always filtered by workspace). */
function eventSelect(db: Kysely<Database>, workspaceId: string) {
  return db
    .selectFrom('activity')
    .leftJoin('users', 'users.id', 'activity.actor_id')
    .select([
      'activity.id',
      'activity.type',
      'activity.workspace_id as workspaceId',
      'activity.workspace_seq as position',
      'activity.actor_id as actorId',
      'users.name as actorName',
      'activity.data',
      'activity.created_at as createdAt',
    ])
    .where('activity.workspace_id', '=', workspaceId);
}

/** The workspace's log entries after `range.after`, oldest first. */
export async function eventRows(
  db: Kysely<Database>,
  workspaceId: string,
  range: EventRange,
): Promise<EventRow[]> {
  let select = eventSelect(db, workspaceId).where('activity.workspace_seq', '>', range.after);
  if (range.types) select = select.where('activity.type', 'in', [...range.types]);
  const rows = await select.orderBy('activity.workspace_seq').limit(range.limit).execute();
  return rows.map((row) => ({ ...row, position: Number(row.position) }));
}

/** The entry `eventId` of the workspace, as an event; undefined when it has none such. */
export async function eventRow(
  db: Kysely<Database>,
  workspaceId: string,
  eventId: string,
): Promise<EventRow | undefined> {
  const row = await eventSelect(db, workspaceId)
    .where('activity.id', '=', eventId)
    .executeTakeFirst();
  return row && { ...row, position: Number(row.position) };
}

/** How many of the workspace's entries after `range.after` are of `range.types`. */
export async function countEvents(
  db: Kysely<Database>,
  workspaceId: string,
  range: Omit<EventRange, 'limit'>,
): Promise<number> {
  let select = db
    .selectFrom('activity')
    .select((eb) => eb.fn.countAll<number | string | bigint>().as('count'))
    .where('workspace_id', '=', workspaceId)
    .where('workspace_seq', '>', range.after);
  if (range.types) select = select.where('type', 'in', [...range.types]);
  const row = await select.executeTakeFirst();
  return Number(row?.count ?? 0);
}
