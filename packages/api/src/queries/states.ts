import {
  CATEGORY_OF_STATUS,
  type Database,
  DEFAULT_PROJECT_STATES,
  type Kysely,
  newId,
  STATUS_OF_CATEGORY,
  type StateCategory,
  type TaskStatus,
} from '@trellis/db';
import type { z } from 'zod';
import type { stateOutput } from '../outputs.js';

/** A project's workflow state as clients see it. */
export type StateView = z.output<typeof stateOutput>;

function states(db: Kysely<Database>, workspaceId: string) {
  return db
    .selectFrom('project_states')
    .select([
      'id',
      'workspace_id as workspaceId',
      'project_id as projectId',
      'name',
      'category',
      'position',
      'created_at as createdAt',
      'updated_at as updatedAt',
    ])
    .where('workspace_id', '=', workspaceId);
}

/** A project's states in their order. */
export function listStates(
  db: Kysely<Database>,
  workspaceId: string,
  projectId: string,
): Promise<StateView[]> {
  return states(db, workspaceId).where('project_id', '=', projectId).orderBy('position').execute();
}

/** One state of the workspace, or undefined. */
export function getState(
  db: Kysely<Database>,
  workspaceId: string,
  stateId: string,
): Promise<StateView | undefined> {
  return states(db, workspaceId).where('id', '=', stateId).executeTakeFirst();
}

/** Gives a new project today's five statuses as its states. */
export async function insertDefaultStates(
  db: Kysely<Database>,
  workspaceId: string,
  projectId: string,
  at: string,
): Promise<void> {
  await db
    .insertInto('project_states')
    .values(
      DEFAULT_PROJECT_STATES.map((state, index) => ({
        id: newId(),
        workspace_id: workspaceId,
        project_id: projectId,
        name: state.name,
        category: state.category,
        position: index + 1,
        created_at: at,
        updated_at: at,
      })),
    )
    .execute();
}

/** Why a status names no single state of a project (a message for the `status` field). */
export type StatusProblem = { problem: string };

/**
 * The project's state a status stands for: its only state in the status's category. When
 * the project has none, or several, in that category, the status is ambiguous: the caller
 * must name the state (`stateId`).
 */
export async function stateForStatus(
  db: Kysely<Database>,
  workspaceId: string,
  projectId: string,
  status: TaskStatus,
): Promise<StateView | StatusProblem> {
  const category: StateCategory = CATEGORY_OF_STATUS[status];
  const found = await states(db, workspaceId)
    .where('project_id', '=', projectId)
    .where('category', '=', category)
    .orderBy('position')
    .execute();
  const [only] = found;
  if (only && found.length === 1) return only;
  if (!only) {
    return { problem: `The project has no state in category ${category}; send stateId` };
  }
  const names = found.map((state) => state.name).join(', ');
  return {
    problem: `The project has ${found.length} states in category ${category} (${names}); send stateId`,
  };
}

/**
 * Where a new task goes when neither a state nor a status is given: the project's first
 * `unstarted` state (Todo, by default), or else its first state.
 */
export async function defaultStateOf(
  db: Kysely<Database>,
  workspaceId: string,
  projectId: string,
): Promise<StateView | undefined> {
  const all = await listStates(db, workspaceId, projectId);
  return all.find((state) => state.category === 'unstarted') ?? all[0];
}

/** How many of the workspace's tasks are in the state. */
export async function countTasksInState(
  db: Kysely<Database>,
  workspaceId: string,
  stateId: string,
): Promise<number> {
  const row = await db
    .selectFrom('tasks')
    .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
    .where('workspace_id', '=', workspaceId)
    .where('state_id', '=', stateId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Inserts a state (its place already made). */
export async function insertState(db: Kysely<Database>, state: StateView): Promise<void> {
  await db
    .insertInto('project_states')
    .values({
      id: state.id,
      workspace_id: state.workspaceId,
      project_id: state.projectId,
      name: state.name,
      category: state.category,
      position: state.position,
      created_at: state.createdAt,
      updated_at: state.updatedAt,
    })
    .execute();
}

/** Writes a state's new name. */
export async function updateStateName(db: Kysely<Database>, state: StateView): Promise<void> {
  await db
    .updateTable('project_states')
    .set({ name: state.name, updated_at: state.updatedAt })
    .where('workspace_id', '=', state.workspaceId)
    .where('id', '=', state.id)
    .execute();
}

/** Writes a state's new place in its project's order. */
export async function setStatePosition(db: Kysely<Database>, state: StateView): Promise<void> {
  await db
    .updateTable('project_states')
    .set({ position: state.position, updated_at: state.updatedAt })
    .where('workspace_id', '=', state.workspaceId)
    .where('id', '=', state.id)
    .execute();
}

/** Deletes a state that no task is in any more. */
export async function removeState(
  db: Kysely<Database>,
  workspaceId: string,
  stateId: string,
): Promise<void> {
  await db
    .deleteFrom('project_states')
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', stateId)
    .execute();
}

/**
 * Moves every task in `from` to `to` as an edit (version + 1, updated now; `status` and
 * `completedAt` follow the new state's category). Answers the ids moved, or `needs-target`
 * when there are tasks and nowhere to move them.
 */
export async function moveTasksToState(
  db: Kysely<Database>,
  workspaceId: string,
  from: StateView,
  to: StateView | undefined,
  at: string,
): Promise<string[] | 'needs-target'> {
  const rows = await db
    .selectFrom('tasks')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('state_id', '=', from.id)
    .execute();
  if (rows.length === 0) return [];
  if (!to) return 'needs-target';
  const status = STATUS_OF_CATEGORY[to.category];
  const completion =
    from.category === to.category ? {} : { completed_at: to.category === 'completed' ? at : null };
  await db
    .updateTable('tasks')
    .set((eb) => ({
      state_id: to.id,
      status,
      updated_at: at,
      ...completion,
      version: eb('version', '+', 1),
    }))
    .where('workspace_id', '=', workspaceId)
    .where('state_id', '=', from.id)
    .execute();
  return rows.map((row) => row.id);
}
