import { CATEGORY_OF_STATUS, type Database, type Kysely, type TaskStatus } from '@trellis/db';
import { insertDefaultStates } from '../queries/states.js';

/** Each status's default state id in one project (what a row written directly needs). */
export type StateIds = Record<TaskStatus, string>;

/**
 * Writes a project row directly, with the five default states projects.create gives it;
 * answers the state id of each status, for task rows written directly.
 */
export async function insertProjectRow(
  db: Kysely<Database>,
  row: {
    id: string;
    workspace_id: string;
    key: string;
    name: string;
    archived_at?: string | null;
    next_task_number?: number;
    created_at: string;
    updated_at: string;
  },
): Promise<StateIds> {
  await db.insertInto('projects').values(row).execute();
  return giveDefaultStates(db, row.workspace_id, row.id, row.created_at);
}

/** Gives an existing project the default states; answers their ids by status. */
export async function giveDefaultStates(
  db: Kysely<Database>,
  workspaceId: string,
  projectId: string,
  at: string,
): Promise<StateIds> {
  await insertDefaultStates(db, workspaceId, projectId, at);
  const rows = await db
    .selectFrom('project_states')
    .select(['id', 'category'])
    .where('project_id', '=', projectId)
    .execute();
  const ids = {} as StateIds;
  for (const status of Object.keys(CATEGORY_OF_STATUS) as TaskStatus[]) {
    const row = rows.find((r) => r.category === CATEGORY_OF_STATUS[status]);
    if (row) ids[status] = row.id;
  }
  return ids;
}
