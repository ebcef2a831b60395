import { type Database, type Kysely, searchTaskMatches } from '@trellis/db';
import type { z } from 'zod';
import type { searchOutput } from '../outputs.js';
import { loadTaskViews } from './tasks.js';

/** One search result: the task, how well it matched, and where. */
export type TaskHit = z.output<typeof searchOutput>['items'][number];

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
