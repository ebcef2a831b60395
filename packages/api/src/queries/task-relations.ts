import type { Database, Kysely, TaskRelationType } from '@trellis/db';
import type { z } from 'zod';
import type { taskRefOutput, taskRelationsOutput } from '../outputs.js';

/** Another task as a relation shows it. */
export type TaskRef = z.output<typeof taskRefOutput>;
/** A task's relations from both sides (tasks.get's `relations`). */
export type TaskRelations = z.output<typeof taskRelationsOutput>;

/** One stored relation: `taskId` `type` `otherTaskId`. */
export interface RelationRow {
  taskId: string;
  otherTaskId: string;
  type: TaskRelationType;
}

/** The workspace's tasks with their keys, by id (ids of other workspaces are left out). */
export async function taskRefs(
  db: Kysely<Database>,
  workspaceId: string,
  taskIds: readonly string[],
): Promise<Map<string, TaskRef>> {
  if (taskIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('tasks')
    .innerJoin('projects', 'projects.id', 'tasks.project_id')
    .select(['tasks.id', 'tasks.number', 'tasks.title', 'tasks.status', 'projects.key'])
    .where('tasks.workspace_id', '=', workspaceId)
    .where('tasks.id', 'in', taskIds)
    .execute();
  return new Map(
    rows.map((row) => [
      row.id,
      { id: row.id, key: `${row.key}-${row.number}`, title: row.title, status: row.status },
    ]),
  );
}

/**
 * The stored relation of that type between the two tasks, if any. `relates` is found
 * whichever of the two was stored as `task_id`.
 */
export function findRelation(
  db: Kysely<Database>,
  workspaceId: string,
  relation: RelationRow,
): Promise<RelationRow | undefined> {
  const { taskId, otherTaskId, type } = relation;
  return db
    .selectFrom('task_relations')
    .select(['task_id as taskId', 'other_task_id as otherTaskId', 'type'])
    .where('workspace_id', '=', workspaceId)
    .where('type', '=', type)
    .where((eb) => {
      const forward = eb.and([eb('task_id', '=', taskId), eb('other_task_id', '=', otherTaskId)]);
      if (type !== 'relates') return forward;
      const backward = eb.and([eb('task_id', '=', otherTaskId), eb('other_task_id', '=', taskId)]);
      return eb.or([forward, backward]);
    })
    .executeTakeFirst();
}

export async function insertRelation(
  db: Kysely<Database>,
  workspaceId: string,
  relation: RelationRow,
  by: { userId: string; at: string },
): Promise<void> {
  await db
    .insertInto('task_relations')
    .values({
      workspace_id: workspaceId,
      task_id: relation.taskId,
      other_task_id: relation.otherTaskId,
      type: relation.type,
      created_by: by.userId,
      created_at: by.at,
    })
    .execute();
}

/** Deletes exactly the stored row `relation` (as findRelation answered it). */
export async function deleteRelation(
  db: Kysely<Database>,
  workspaceId: string,
  relation: RelationRow,
): Promise<void> {
  await db
    .deleteFrom('task_relations')
    .where('workspace_id', '=', workspaceId)
    .where('task_id', '=', relation.taskId)
    .where('other_task_id', '=', relation.otherTaskId)
    .where('type', '=', relation.type)
    .execute();
}

/**
 * The chain of `blocks` relations leading from `from` to `to` (both included), shortest
 * first found, or undefined when `to` cannot be reached. One query per step: a workspace's
 * blocking chains are short, and this runs under the workspace's write lock, so nothing
 * changes while it walks.
 */
export async function blockingPath(
  db: Kysely<Database>,
  workspaceId: string,
  from: string,
  to: string,
): Promise<string[] | undefined> {
  const cameFrom = new Map<string, string | null>([[from, null]]);
  let frontier = [from];
  while (frontier.length > 0 && !cameFrom.has(to)) {
    const edges = await db
      .selectFrom('task_relations')
      .select(['task_id', 'other_task_id'])
      .where('workspace_id', '=', workspaceId)
      .where('type', '=', 'blocks')
      .where('task_id', 'in', frontier)
      .execute();
    frontier = [];
    for (const edge of edges) {
      if (cameFrom.has(edge.other_task_id)) continue;
      cameFrom.set(edge.other_task_id, edge.task_id);
      frontier.push(edge.other_task_id);
    }
  }
  if (!cameFrom.has(to)) return undefined;
  const path: string[] = [];
  for (let at: string | null | undefined = to; at; at = cameFrom.get(at)) path.unshift(at);
  return path;
}

/**
 * A task's relations from both sides, each list oldest relation first (relations added at
 * the same moment in task key order). Tasks of another workspace never show.
 */
export async function relationsOf(
  db: Kysely<Database>,
  workspaceId: string,
  taskId: string,
): Promise<TaskRelations> {
  const rows = await db
    .selectFrom('task_relations as r')
    // The task at the other end, whichever end this one is.
    .innerJoin('tasks as other', (join) =>
      join.on((eb) =>
        eb(
          'other.id',
          '=',
          eb
            .case()
            .when('r.task_id', '=', taskId)
            .then(eb.ref('r.other_task_id'))
            .else(eb.ref('r.task_id'))
            .end(),
        ),
      ),
    )
    .innerJoin('projects', 'projects.id', 'other.project_id')
    .select([
      'r.task_id as from',
      'r.type',
      'other.id',
      'other.number',
      'other.title',
      'other.status',
      'projects.key as projectKey',
    ])
    .where('r.workspace_id', '=', workspaceId)
    .where('other.workspace_id', '=', workspaceId)
    .where((eb) => eb.or([eb('r.task_id', '=', taskId), eb('r.other_task_id', '=', taskId)]))
    .orderBy('r.created_at')
    .orderBy('projects.key')
    .orderBy('other.number')
    .execute();
  const relations: TaskRelations = {
    blocks: [],
    blockedBy: [],
    relates: [],
    duplicates: [],
    duplicatedBy: [],
  };
  const lists = {
    blocks: ['blocks', 'blockedBy'],
    relates: ['relates', 'relates'],
    duplicates: ['duplicates', 'duplicatedBy'],
  } as const satisfies Record<
    TaskRelationType,
    readonly [keyof TaskRelations, keyof TaskRelations]
  >;
  for (const row of rows) {
    const [outgoing, incoming] = lists[row.type];
    const ref = {
      id: row.id,
      key: `${row.projectKey}-${row.number}`,
      title: row.title,
      status: row.status,
    };
    relations[row.from === taskId ? outgoing : incoming].push(ref);
  }
  return relations;
}
