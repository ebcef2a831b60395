import type { Database, Kysely, TaskStatus } from '@trellis/db';

/** A task as clients see it. `key` is the project key and number, e.g. `ENG-12`. */
export interface TaskView {
  id: string;
  workspaceId: string;
  projectId: string;
  number: number;
  key: string;
  title: string;
  description: string;
  status: TaskStatus;
  priority: number;
  assigneeId: string | null;
  labels: string[];
  dueAt: string | null;
  version: number;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
}

/**
 * The given tasks of a workspace as clients see them, in the order of `taskIds` (ids that
 * are missing or belong to another workspace are left out). Two queries whatever the
 * count: the tasks with their project keys, then all their labels.
 */
export async function loadTaskViews(
  db: Kysely<Database>,
  workspaceId: string,
  taskIds: readonly string[],
): Promise<TaskView[]> {
  if (taskIds.length === 0) return [];
  const rows = await db
    .selectFrom('tasks')
    .innerJoin('projects', 'projects.id', 'tasks.project_id')
    .select([
      'tasks.id',
      'tasks.workspace_id as workspaceId',
      'tasks.project_id as projectId',
      'tasks.number',
      'projects.key as projectKey',
      'tasks.title',
      'tasks.description',
      'tasks.status',
      'tasks.priority',
      'tasks.assignee_id as assigneeId',
      'tasks.due_at as dueAt',
      'tasks.version',
      'tasks.created_by as createdBy',
      'tasks.created_at as createdAt',
      'tasks.updated_at as updatedAt',
      'tasks.completed_at as completedAt',
    ])
    .where('tasks.workspace_id', '=', workspaceId)
    .where('tasks.id', 'in', taskIds)
    .execute();
  const labels = await db
    .selectFrom('task_labels')
    .select(['task_id', 'label'])
    .where('workspace_id', '=', workspaceId)
    .where('task_id', 'in', taskIds)
    .orderBy('label')
    .execute();
  const labelsByTask = new Map<string, string[]>();
  for (const { task_id, label } of labels) {
    const list = labelsByTask.get(task_id) ?? [];
    list.push(label);
    labelsByTask.set(task_id, list);
  }
  const byId = new Map(
    rows.map(({ projectKey, ...row }) => [
      row.id,
      { ...row, key: `${projectKey}-${row.number}`, labels: labelsByTask.get(row.id) ?? [] },
    ]),
  );
  return taskIds.flatMap((id) => {
    const view = byId.get(id);
    return view ? [view] : [];
  });
}
