import { type Kysely, type SelectQueryBuilder, sql } from 'kysely';
import { dialectOf } from './dialect.js';
import type { Database } from './schema.js';

// Full-text search over tasks (title, description and comments), one module for both
// dialects: SQLite's FTS5 table `task_fts`, PostgreSQL's weighted tsvector in
// `task_search_docs.document` (migration 0003). Both take the words of whatever a user
// typed, each as a prefix, all required; search syntax and SQL are never passed through.

/**
 * The words (letters and digits) of a search text, at most 16 of at most 64 characters
 * each: a query is a search box, not a document. Empty when the text has none.
 */
export function searchWords(text: string): string[] {
  const words = text.normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? [];
  return words.slice(0, 16).map((word) => word.slice(0, 64));
}

/**
 * Turns whatever a user typed into a safe FTS5 query: the words (letters and digits) of
 * the text, each quoted and prefix-matched, all required. Quotes, `*`, `NEAR`, `OR`,
 * parentheses and column filters are data, never syntax. Null when no word is left.
 */
export function toFtsQuery(text: string): string | null {
  const words = searchWords(text);
  if (words.length === 0) return null;
  return words.map((word) => `"${word}"*`).join(' ');
}

/**
 * The same for PostgreSQL's to_tsquery: each word quoted and prefix-matched (`'word':*`),
 * all required (`&`). Words hold only letters and digits, so no quote or operator can get
 * in. Null when no word is left.
 */
export function toTsQuery(text: string): string | null {
  const words = searchWords(text);
  if (words.length === 0) return null;
  return words.map((word) => `'${word}':*`).join(' & ');
}

const tsQuery = (query: string) => sql`to_tsquery('trellis_search', ${query})`;

/**
 * A subquery selecting the ids of one workspace's tasks that contain every word of `text`,
 * for `tasks.id in (…)`. Null when the text has no word (which matches nothing).
 */
export function matchingTaskIds(
  db: Kysely<Database>,
  workspaceId: string,
  text: string,
): SelectQueryBuilder<Database, 'task_search_docs', { task_id: string }> | null {
  const docs = db
    .selectFrom('task_search_docs')
    .select('task_search_docs.task_id')
    .where('task_search_docs.workspace_id', '=', workspaceId);
  if (dialectOf(db) === 'postgres') {
    const query = toTsQuery(text);
    if (query === null) return null;
    return docs.where(sql<boolean>`${sql.ref('task_search_docs.document')} @@ ${tsQuery(query)}`);
  }
  const match = toFtsQuery(text);
  if (match === null) return null;
  return docs.where(
    'task_search_docs.doc_id',
    'in',
    db.selectFrom('task_fts').select('task_fts.rowid').where(sql.ref('task_fts'), 'match', match),
  );
}

/** One task that matched a search. */
export interface TaskMatch {
  taskId: string;
  /** Relevance: higher is better; only comparable within one answer. */
  rank: number;
  /** Plain text around the match (no markup); undefined when there is none to show. */
  snippet?: string;
}

/**
 * The tasks of one workspace that contain every word of `text` (as a word or a word's
 * beginning), best first: a title match counts 10, a description match 3, a comment match
 * 1. Filtered by workspace before the limit. Any text is safe; text with no words finds
 * nothing.
 */
export async function searchTaskMatches(
  db: Kysely<Database>,
  workspaceId: string,
  text: string,
  limit: number,
): Promise<TaskMatch[]> {
  return dialectOf(db) === 'postgres'
    ? searchPostgres(db, workspaceId, text, limit)
    : searchSqlite(db, workspaceId, text, limit);
}

// Column weights for bm25, in task_fts column order: a word in the title says more
// about a task than one in its description, which says more than one in a comment.
const BM25 = sql<number>`bm25(task_fts, 10.0, 3.0, 1.0)`;
// No highlight markers: snippets are plain text that clients never have to sanitise.
const SNIPPET = sql<string>`snippet(task_fts, -1, '', '', '…', 12)`;

async function searchSqlite(
  db: Kysely<Database>,
  workspaceId: string,
  text: string,
  limit: number,
): Promise<TaskMatch[]> {
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
  const snippets = await db
    .selectFrom('task_fts')
    .select(['task_fts.rowid as docId', SNIPPET.as('snippet')])
    .where(sql<boolean>`task_fts match ${match}`)
    .where(
      'task_fts.rowid',
      'in',
      hits.map((hit) => hit.docId),
    )
    .execute();
  const snippetByDoc = new Map(snippets.map((row) => [row.docId, row.snippet]));
  return hits.map((hit) => withSnippet(hit.taskId, -hit.score, snippetByDoc.get(hit.docId)));
}

// ts_rank's weights are listed {D, C, B, A}: comments are C, descriptions B, titles A, in
// the same 1 : 3 : 10 proportion as the bm25 weights above.
const TS_RANK_WEIGHTS = '{0, 0.1, 0.3, 1.0}';
// Fragment mode: about 12 words around the best match, as FTS5's snippet gives.
const HEADLINE_OPTIONS =
  'StartSel="", StopSel="", MaxFragments=1, MaxWords=12, MinWords=1, ShortWord=0';

async function searchPostgres(
  db: Kysely<Database>,
  workspaceId: string,
  text: string,
  limit: number,
): Promise<TaskMatch[]> {
  const query = toTsQuery(text);
  if (query === null) return [];
  const document = sql.ref('task_search_docs.document');
  // Normalization 1 divides by 1 + log(length): like bm25, a match in a short document
  // counts a little more than one in a long one.
  const score = sql<number>`ts_rank(${TS_RANK_WEIGHTS}::float4[], ${document}, ${tsQuery(query)}, 1)`;
  const hits = await db
    .selectFrom('task_search_docs')
    .select(['task_search_docs.doc_id as docId', 'task_search_docs.task_id as taskId'])
    .select(score.as('score'))
    .where(sql<boolean>`${document} @@ ${tsQuery(query)}`)
    // Filtered before the limit, so another workspace's better matches take no places.
    .where('task_search_docs.workspace_id', '=', workspaceId)
    .orderBy('score', 'desc')
    .orderBy('task_search_docs.doc_id')
    .limit(limit)
    .execute();
  if (hits.length === 0) return [];
  // The snippet comes from the first column that matches on its own, as FTS5 picks one
  // column; only for the page, not every match.
  const matches = (column: string) =>
    sql<boolean>`to_tsvector('trellis_search', trellis_search_words(${sql.ref(column)})) @@ ${tsQuery(query)}`;
  const column = sql<string>`case
    when ${matches('tasks.title')} then ${sql.ref('tasks.title')}
    when ${matches('tasks.description')} then ${sql.ref('tasks.description')}
    when ${matches('task_search_docs.comments')} then ${sql.ref('task_search_docs.comments')}
    else ${sql.ref('tasks.title')} end`;
  const snippets = await db
    .selectFrom('task_search_docs')
    .innerJoin('tasks', 'tasks.id', 'task_search_docs.task_id')
    .select('task_search_docs.doc_id as docId')
    .select(column.as('source'))
    .select(
      sql<string>`ts_headline('trellis_search', ${column}, ${tsQuery(query)}, ${HEADLINE_OPTIONS})`.as(
        'snippet',
      ),
    )
    .where(
      'task_search_docs.doc_id',
      'in',
      hits.map((hit) => hit.docId),
    )
    .execute();
  const snippetByDoc = new Map(
    snippets.map((row) => [row.docId, withEllipses(row.snippet, row.source)]),
  );
  return hits.map((hit) => withSnippet(hit.taskId, hit.score, snippetByDoc.get(hit.docId)));
}

/** `…` where a fragment of `source` was cut, as FTS5's snippet marks it. */
function withEllipses(fragment: string, source: string): string {
  const at = source.indexOf(fragment);
  if (fragment === '' || at < 0) return fragment;
  const cutBefore = at > 0 ? '…' : '';
  const cutAfter = at + fragment.length < source.length ? '…' : '';
  return `${cutBefore}${fragment}${cutAfter}`;
}

function withSnippet(taskId: string, rank: number, snippet: string | undefined): TaskMatch {
  return snippet ? { taskId, rank, snippet } : { taskId, rank };
}
