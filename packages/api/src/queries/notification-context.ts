import type { Database, Kysely } from '@trellis/db';

// What a status_changed notification shows that its activity entry does not hold: the
// names of states (the entry has their ids).

/** The names of these states of the workspace, by id. */
export async function stateNames(
  db: Kysely<Database>,
  workspaceId: string,
  stateIds: readonly string[],
): Promise<Map<string, string>> {
  if (stateIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('project_states')
    .select(['id', 'name'])
    .where('workspace_id', '=', workspaceId)
    .where('id', 'in', stateIds)
    .execute();
  return new Map(rows.map((row) => [row.id, row.name]));
}
