import type { Database, Kysely } from '@trellis/db';
import { fieldError } from './errors.js';
import { childIds, taskLink } from './queries/tasks.js';

// Sub-tasks form trees within a project: a task's parent is a task of the same project, no
// task is its own ancestor, and no chain is deeper than MAX_TASK_DEPTH below its root.

/** How many levels of sub-tasks a top-level task may have below it. */
export const MAX_TASK_DEPTH = 5;

/**
 * Refuses `parentId` as the parent of `task` (a new task when `task.id` is undefined) with
 * a BAD_REQUEST on `path` (its message after `prefix`): not a task of this workspace, of another project, the task
 * itself or one of its sub-tasks (a cycle), or a tree that would get too deep. Run it
 * under the workspace's write lock, so that the tree cannot change before the write.
 */
export async function checkParent(
  db: Kysely<Database>,
  workspaceId: string,
  task: { id?: string; projectId: string },
  parentId: string,
  path: string[],
  prefix = '',
): Promise<void> {
  const refuse = (message: string) => fieldError(path, `${prefix}${message}`);
  const parent = await taskLink(db, workspaceId, parentId);
  if (!parent) throw refuse('Must be a live task of this workspace (not one in the trash)');
  if (parent.projectId !== task.projectId) throw refuse('Must be a task of the same project');
  // The parent's ancestors: the chain up to its root (at most MAX_TASK_DEPTH links).
  let depth = 1;
  for (let up: typeof parent | undefined = parent; up; depth += 1) {
    if (up.id === task.id) {
      throw refuse('Cannot be the task itself or one of its sub-tasks');
    }
    up = up.parentId === null ? undefined : await taskLink(db, workspaceId, up.parentId);
  }
  // `depth` is now the task's own level below its root (1 = a direct sub-task of a root);
  // its own sub-tasks go as deep again as they are below it.
  const below = task.id === undefined ? 0 : await levelsBelow(db, workspaceId, task.id);
  if (depth - 1 + below > MAX_TASK_DEPTH) {
    throw refuse(
      `Sub-tasks nest at most ${MAX_TASK_DEPTH} levels deep; this would make ${depth - 1 + below}`,
    );
  }
}

/** How many levels of sub-tasks `taskId` has below it (0 without any). */
async function levelsBelow(db: Kysely<Database>, workspaceId: string, taskId: string) {
  let levels = 0;
  for (let level = [taskId]; ; levels += 1) {
    level = await childIds(db, workspaceId, level);
    if (level.length === 0 || levels > MAX_TASK_DEPTH) return levels;
  }
}

/** Every task below `taskId`, deepest first (the order their deletions are recorded in). */
export async function descendantIds(
  db: Kysely<Database>,
  workspaceId: string,
  taskId: string,
): Promise<string[]> {
  const levels: string[][] = [];
  for (let level = await childIds(db, workspaceId, [taskId]); level.length > 0; ) {
    levels.push(level);
    level = await childIds(db, workspaceId, level);
  }
  return levels.reverse().flat();
}
