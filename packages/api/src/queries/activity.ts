import type { Database, Kysely } from '@trellis/db';
import { encodeCursor, logPosition, zCursor } from '../cursor.js';

/** One entry of the activity log as clients see it. */
export interface ActivityView {
  id: string;
  type: string;
  /** Who did it; null when their account has since been deleted. */
  actor: { userId: string; name: string } | null;
  /** The API token the actor acted through, or null when they acted in person. */
  apiTokenId: string | null;
  projectId: string | null;
  taskId: string | null;
  data: Record<string, unknown>;
  createdAt: string;
}

/** A page of the log, newest first; `nextCursor` is null on the last page. */
export interface ActivityPage {
  items: ActivityView[];
  nextCursor: string | null;
}

/** An activity cursor as sent by clients; parses to the position the next page ends before. */
export const zActivityCursor = zCursor(logPosition);

/** Which page of which log to read. */
export interface ActivityQuery {
  /** Only this task's entries (still only those of the workspace). */
  taskId?: string | undefined;
  /** Only entries older than this position (from a cursor). */
  beforeSeq?: number | undefined;
  limit: number;
}

/** The query behind `listActivity`, exposed so that tests can check its plan. */
export function activityQuery(db: Kysely<Database>, workspaceId: string, query: ActivityQuery) {
  let select = db
    .selectFrom('activity')
    .leftJoin('users', 'users.id', 'activity.actor_id')
    .select([
      'activity.seq',
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
  if (query.beforeSeq !== undefined) select = select.where('activity.seq', '<', query.beforeSeq);
  // One row beyond the page tells whether another page follows.
  return select.orderBy('activity.seq', 'desc').limit(query.limit + 1);
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
    nextCursor: rows.length > query.limit && last ? encodeCursor({ seq: last.seq }) : null,
  };
}
