import type { Database, Kysely } from '@trellis/db';

// What workspaces.export reads, inside one read transaction. Rows come in an order that
// does not depend on ids (users by email, projects by key, tasks by key and number,
// comments by time, the log by its number), so that exporting an imported copy lists
// everything in the same order as the original, under new ids.

type Db = Kysely<Database>;

export function workspaceRow(db: Db, workspaceId: string) {
  return db
    .selectFrom('workspaces')
    .select(['name', 'slug', 'created_at'])
    .where('id', '=', workspaceId)
    .executeTakeFirstOrThrow();
}

/** Every user the workspace names: its members, and whoever created, was assigned, wrote or acted. */
function namedUserIds(db: Db, workspaceId: string) {
  return db
    .selectFrom('memberships')
    .select('user_id as id')
    .where('workspace_id', '=', workspaceId)
    .union(
      db.selectFrom('tasks').select('created_by as id').where('workspace_id', '=', workspaceId),
    )
    .union(
      db
        .selectFrom('tasks')
        .select('assignee_id as id')
        .where('workspace_id', '=', workspaceId)
        .where('assignee_id', 'is not', null)
        .$narrowType<{ id: string }>(),
    )
    .union(
      db
        .selectFrom('comments')
        .select('author_id as id')
        .where('workspace_id', '=', workspaceId)
        .where('author_id', 'is not', null)
        .$narrowType<{ id: string }>(),
    )
    .union(
      db
        .selectFrom('activity')
        .select('actor_id as id')
        .where('workspace_id', '=', workspaceId)
        .where('actor_id', 'is not', null)
        .$narrowType<{ id: string }>(),
    )
    .union(
      db
        .selectFrom('task_relations')
        .select('created_by as id')
        .where('workspace_id', '=', workspaceId)
        .where('created_by', 'is not', null)
        .$narrowType<{ id: string }>(),
    );
}

export function userPage(db: Db, workspaceId: string, afterEmail: string, limit: number) {
  return db
    .selectFrom('users')
    .select(['id', 'email', 'name'])
    .where('id', 'in', namedUserIds(db, workspaceId))
    .where('email', '>', afterEmail)
    .orderBy('email')
    .limit(limit)
    .execute();
}

export async function userCount(db: Db, workspaceId: string): Promise<number> {
  const row = await db
    .selectFrom(namedUserIds(db, workspaceId).as('named'))
    .innerJoin('users', 'users.id', 'named.id')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export function memberRows(db: Db, workspaceId: string) {
  return db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select(['memberships.user_id', 'memberships.role', 'memberships.created_at'])
    .where('memberships.workspace_id', '=', workspaceId)
    .orderBy('memberships.created_at')
    .orderBy('users.email')
    .execute();
}

export function projectRows(db: Db, workspaceId: string) {
  return db
    .selectFrom('projects')
    .select(['id', 'key', 'name', 'archived_at', 'next_task_number', 'created_at', 'updated_at'])
    .where('workspace_id', '=', workspaceId)
    .orderBy('key')
    .execute();
}

export function stateRows(db: Db, projectId: string) {
  return db
    .selectFrom('project_states')
    .select(['id', 'project_id', 'name', 'category', 'position', 'created_at', 'updated_at'])
    .where('project_id', '=', projectId)
    .orderBy('position')
    .orderBy('name')
    .execute();
}

export function taskPage(db: Db, projectId: string, afterNumber: number, limit: number) {
  return db
    .selectFrom('tasks')
    .select([
      'id',
      'project_id',
      'number',
      'title',
      'description',
      'status',
      'state_id',
      'priority',
      'assignee_id',
      'due_at',
      'parent_id',
      'version',
      'created_by',
      'created_at',
      'updated_at',
      'completed_at',
    ])
    .where('project_id', '=', projectId)
    .where('number', '>', afterNumber)
    .orderBy('number')
    .limit(limit)
    .execute();
}

export function taskIdPage(db: Db, projectId: string, afterNumber: number, limit: number) {
  return db
    .selectFrom('tasks')
    .select(['id', 'number'])
    .where('project_id', '=', projectId)
    .where('number', '>', afterNumber)
    .orderBy('number')
    .limit(limit)
    .execute();
}

export function labelRows(db: Db, taskIds: readonly string[]) {
  if (taskIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('task_labels')
    .select(['task_id', 'label'])
    .where('task_id', 'in', taskIds)
    .orderBy('label')
    .execute();
}

/** The relations from these tasks, with where the other task sits (its project's key, its number). */
export function relationRows(db: Db, taskIds: readonly string[]) {
  if (taskIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('task_relations as r')
    .innerJoin('tasks as other', 'other.id', 'r.other_task_id')
    .innerJoin('projects as op', 'op.id', 'other.project_id')
    .select([
      'r.task_id',
      'r.other_task_id',
      'r.type',
      'r.created_by',
      'r.created_at',
      'op.key as other_key',
      'other.number as other_number',
    ])
    .where('r.task_id', 'in', taskIds)
    .execute();
}

export function commentRows(db: Db, taskIds: readonly string[]) {
  if (taskIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('comments')
    .select(['id', 'task_id', 'author_id', 'body', 'created_at', 'updated_at'])
    .where('task_id', 'in', taskIds)
    .orderBy('created_at')
    .orderBy('body')
    .orderBy('id')
    .execute();
}

export function activityPage(db: Db, workspaceId: string, afterSeq: number, limit: number) {
  return db
    .selectFrom('activity')
    .select([
      'id',
      'workspace_seq',
      'project_id',
      'task_id',
      'actor_id',
      'type',
      'data',
      'created_at',
    ])
    .where('workspace_id', '=', workspaceId)
    .where('workspace_seq', '>', afterSeq)
    .orderBy('workspace_seq')
    .limit(limit)
    .execute();
}

/** How many rows each table holds for the workspace (users are counted apart). */
export async function sectionCounts(db: Db, workspaceId: string) {
  const count = (
    table:
      | 'memberships'
      | 'projects'
      | 'project_states'
      | 'tasks'
      | 'task_relations'
      | 'comments'
      | 'activity',
  ) =>
    db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirstOrThrow()
      .then((row) => Number(row.n));
  return {
    members: await count('memberships'),
    projects: await count('projects'),
    states: await count('project_states'),
    tasks: await count('tasks'),
    relations: await count('task_relations'),
    comments: await count('comments'),
    activity: await count('activity'),
  };
}
