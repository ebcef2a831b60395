import type { Database, Kysely, ProjectUpdate } from '@trellis/db';
import type { z } from 'zod';
import type { projectOutput } from '../outputs.js';

/** A project as clients see it. `archivedAt` is null while the project takes new tasks. */
export type ProjectView = z.output<typeof projectOutput>;

function projects(db: Kysely<Database>, workspaceId: string) {
  return db
    .selectFrom('projects')
    .select([
      'id',
      'workspace_id as workspaceId',
      'key',
      'name',
      'archived_at as archivedAt',
      'created_at as createdAt',
      'updated_at as updatedAt',
    ])
    .where('workspace_id', '=', workspaceId);
}

/** A workspace's projects by key; archived ones only when asked for. */
export function listProjects(
  db: Kysely<Database>,
  workspaceId: string,
  includeArchived: boolean,
): Promise<ProjectView[]> {
  let query = projects(db, workspaceId);
  if (!includeArchived) query = query.where('archived_at', 'is', null);
  return query.orderBy('key').execute();
}

/** One project of a workspace, or undefined. */
export function getProject(
  db: Kysely<Database>,
  workspaceId: string,
  projectId: string,
): Promise<ProjectView | undefined> {
  return projects(db, workspaceId).where('id', '=', projectId).executeTakeFirst();
}

/**
 * Takes the project's next task number and bumps the counter, in one statement that also
 * takes the write lock, so that concurrent creates can never share a number. Call it
 * inside the insert's transaction. Undefined when the project is not in the workspace.
 */
export async function allocateTaskNumber(
  db: Kysely<Database>,
  workspaceId: string,
  projectId: string,
): Promise<{ number: number; key: string; archivedAt: string | null } | undefined> {
  const row = await db
    .updateTable('projects')
    .set((eb) => ({ next_task_number: eb('next_task_number', '+', 1) }))
    .where('id', '=', projectId)
    .where('workspace_id', '=', workspaceId)
    .returning(['next_task_number', 'key', 'archived_at'])
    .executeTakeFirst();
  return row && { number: row.next_task_number - 1, key: row.key, archivedAt: row.archived_at };
}

/** Inserts a new project (its task numbers start at 1). */
export async function insertProject(db: Kysely<Database>, project: ProjectView): Promise<void> {
  await db
    .insertInto('projects')
    .values({
      id: project.id,
      workspace_id: project.workspaceId,
      key: project.key,
      name: project.name,
      archived_at: project.archivedAt,
      created_at: project.createdAt,
      updated_at: project.updatedAt,
    })
    .execute();
}

/**
 * Takes the write lock on a project (a no-op update) before the transaction reads it, so
 * that what it reads cannot change before it writes. False when it is not in the workspace.
 */
export async function lockProject(
  db: Kysely<Database>,
  workspaceId: string,
  projectId: string,
): Promise<boolean> {
  const result = await db
    .updateTable('projects')
    .set((eb) => ({ updated_at: eb.ref('updated_at') }))
    .where('id', '=', projectId)
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Writes the given columns of a project. */
export async function updateProject(
  db: Kysely<Database>,
  workspaceId: string,
  projectId: string,
  columns: Pick<ProjectUpdate, 'name' | 'archived_at' | 'updated_at'>,
): Promise<void> {
  await db
    .updateTable('projects')
    .set(columns)
    .where('id', '=', projectId)
    .where('workspace_id', '=', workspaceId)
    .execute();
}
