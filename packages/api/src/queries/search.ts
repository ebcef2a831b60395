import { type Database, type Kysely, searchTaskMatches } from '@trellis/db';
import { loadTaskViews, type TaskView } from './tasks.js';

/** One search result: the task, how well it matched, and where. */
export interface TaskHit {
  task: TaskView;
  /** Relevance: higher is better; only comparable within one answer. */
  rank: number;
  /** Plain text around the best match (no markup), when there is one to show. */
  snippet?: string;
}

/**
 * The tasks of one workspace that contain every word of `text` (as a word or a word's
 * beginning), best first. Any text is safe: the search in @trellis/db takes only its
 * words, and text with no words finds nothing.
 */
export async function searchTasks(
  db: Kysely<Database>,
  workspaceId: string,
  text: string,
  limit: number,
): Promise<TaskHit[]> {
  const matches = await searchTaskMatches(db, workspaceId, text, limit);
  const tasks = await loadTaskViews(
    db,
    workspaceId,
    matches.map((match) => match.taskId),
  );
  const taskById = new Map(tasks.map((task) => [task.id, task]));
  // A task deleted between the queries is left out rather than answered half-loaded.
  return matches.flatMap(({ taskId, ...match }): TaskHit[] => {
    const task = taskById.get(taskId);
    return task ? [{ task, ...match }] : [];
  });
}
