import { createHash } from 'node:crypto';
import type { Database, Kysely } from '@trellis/db';
import type { Victim } from './fuzz-fixtures.js';

// Proof that the caller changed nothing it does not own: a digest of every row that belongs
// to the victim, and a check on workspaces that appeared during a run.

/** Tables whose rows belong to one workspace (`workspace_id`). */
const WORKSPACE_TABLES = [
  'memberships',
  'projects',
  'project_states',
  'tasks',
  'task_relations',
  'task_labels',
  'invites',
  'api_tokens',
  'comments',
  'activity',
  'task_search_docs',
  'trashed_tasks',
  'views',
  'task_watchers',
  'task_mentions',
  'comment_mentions',
  'notifications',
  'attachments',
] as const;

function digest(rows: readonly unknown[]): string {
  const lines = rows.map((row) => JSON.stringify(row)).sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16);
}

/** A hash per table of every row that belongs to the victim (its workspace and its people). */
export async function victimDigest(
  db: Kysely<Database>,
  victim: Victim,
): Promise<Record<string, string>> {
  const workspaceId = victim.rows.workspaceId;
  const userIds = victim.members.map((member) => member.id);
  const result: Record<string, string> = {};
  for (const table of WORKSPACE_TABLES) {
    result[table] = digest(
      await db.selectFrom(table).selectAll().where('workspace_id', '=', workspaceId).execute(),
    );
  }
  result.workspaces = digest(
    await db.selectFrom('workspaces').selectAll().where('id', '=', workspaceId).execute(),
  );
  result.users = digest(
    await db.selectFrom('users').selectAll().where('id', 'in', userIds).execute(),
  );
  result.sessions = digest(
    await db.selectFrom('sessions').selectAll().where('user_id', 'in', userIds).execute(),
  );
  // Their inboxes: preferences and notification numbers.
  result.inboxes = digest(
    await db.selectFrom('inboxes').selectAll().where('user_id', 'in', userIds).execute(),
  );
  result.oauth_accounts = digest(
    await db.selectFrom('oauth_accounts').selectAll().where('user_id', 'in', userIds).execute(),
  );
  result.idempotency_keys = digest(
    await db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where(
        'scope',
        'in',
        userIds.map((id) => `user:${id}`),
      )
      .execute(),
  );
  return result;
}

/** Ids of every workspace now. */
export async function workspaceIds(db: Kysely<Database>): Promise<Set<string>> {
  const rows = await db.selectFrom('workspaces').select('id').execute();
  return new Set(rows.map((row) => row.id));
}

/**
 * Workspaces that appeared since `before` without the caller as owner: a caller may create
 * workspaces, and only ones of its own.
 */
export async function foreignNewWorkspaces(
  db: Kysely<Database>,
  before: ReadonlySet<string>,
  callerId: string,
): Promise<string[]> {
  const rows = await db
    .selectFrom('workspaces')
    .leftJoin('memberships', (join) =>
      join
        .onRef('memberships.workspace_id', '=', 'workspaces.id')
        .on('memberships.user_id', '=', callerId)
        .on('memberships.role', '=', 'owner'),
    )
    .select(['workspaces.id as id', 'memberships.user_id as owner'])
    .execute();
  return rows.filter((row) => !before.has(row.id) && row.owner === null).map((row) => row.id);
}
