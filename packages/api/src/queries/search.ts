import { type Database, type Kysely, toFtsQuery } from '@trellis/db';
import { sql } from 'kysely';
import { loadTaskViews, type TaskView } from './tasks.js';

/** One search result: the task, how well it matched, and where. */
export interface TaskHit {
  task: TaskView;
  /** Relevance (negated FTS5 bm25): higher is better; only comparable within one answer. */
  rank: number;
  /** Plain text around the best match (no markup), when FTS5 found one to show. */
  snippet?: string;
}

// Column weights for bm25, in task_fts column order: a word in the title says more
// about a task than one in its description, which says more than one in a comment.
const BM25 = sql<number>`bm25(task_fts, 10.0, 3.0, 1.0)`;
// No highlight markers: snippets are plain text that clients never have to sanitise.
const SNIPPET = sql<string>`snippet(task_fts, -1, '', '', '…', 12)`;

/**
 * The tasks of one workspace that contain every word of `text` (as a word or a word's
 * beginning), best first. Any text is safe: `toFtsQuery` makes each word quoted data,
 * and text with no words finds nothing.
 */
export async function searchTasks(
  db: Kysely<Database>,
  workspaceId: string,
  text: string,
  limit: number,
): Promise<TaskHit[]> {
  const match = toFtsQuery(text);
  if (match === null) return [];
  const hits = await db
    .selectFrom('task_fts')
    .innerJoin('task_search_docs', 'task_search_docs.doc_id', 'task_fts.rowid')
    .select(['task_search_docs.doc_id as docId', 'task_search_docs.task_id as taskId'])
    .select(BM25.as('score'))
    .where(sql<boolean>`task_fts match ${match}`)
    // Filtered before the limit, so another workspace's better matches take no places.
    .where('task_search_docs.workspace_id', '=', workspaceId)
    .orderBy('score')
    .orderBy('task_search_docs.doc_id')
    .limit(limit)
    .execute();
  if (hits.length === 0) return [];
  // Snippets cost a pass over each document's text: only for the page, not every match.
  const docIds = hits.map((hit) => hit.docId);
  const snippets = await db
    .selectFrom('task_fts')
    .select(['task_fts.rowid as docId', SNIPPET.as('snippet')])
    .where(sql<boolean>`task_fts match ${match}`)
    .where('task_fts.rowid', 'in', docIds)
    .execute();
  const snippetByDoc = new Map(snippets.map((row) => [row.docId, row.snippet]));
  const taskIds = hits.map((hit) => hit.taskId);
  const tasks = await loadTaskViews(db, workspaceId, taskIds);
  const taskById = new Map(tasks.map((task) => [task.id, task]));
  // A task deleted between the queries is left out rather than answered half-loaded.
  return hits.flatMap((hit): TaskHit[] => {
    const task = taskById.get(hit.taskId);
    if (!task) return [];
    const snippet = snippetByDoc.get(hit.docId);
    return [{ task, rank: -hit.score, ...(snippet ? { snippet } : {}) }];
  });
}
