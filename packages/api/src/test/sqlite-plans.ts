import type { Database, Kysely } from '@trellis/db';
import { type Compilable, CompiledQuery } from 'kysely';

// SQLite's plans read as text (EXPLAIN QUERY PLAN), for the tasks.list plan tests; the
// PostgreSQL side is postgres-plans.ts.

/** SQLite's plan for exactly `query`, one line per step. */
export async function sqlitePlan(db: Kysely<Database>, query: Compilable): Promise<string[]> {
  const { sql, parameters } = query.compile();
  const plan = await db.executeQuery<{ detail: string }>(
    CompiledQuery.raw(`explain query plan ${sql}`, [...parameters]),
  );
  return plan.rows.map((row) => row.detail);
}

/**
 * What is wrong with the plan of one tasks.list page (`name` for the message): tasks must
 * be one SEARCH on an index (never a scan), in list order (never a sort of the matching
 * set), and a page after a cursor must start where the cursor points (an index range).
 */
export function listPlanProblems(name: string, plan: string[], fromCursor: boolean): string[] {
  const problems: string[] = [];
  const onTasks = plan.filter((line) => /\btasks\b/.test(line));
  if (onTasks.length !== 1 || !onTasks[0]?.startsWith('SEARCH tasks USING ')) {
    problems.push(`${name}: ${plan.join(' | ')}`);
  }
  if (plan.some((line) => line.includes('TEMP B-TREE'))) problems.push(`${name}: sorts`);
  if (fromCursor && !/[<>]\?\)$/.test(onTasks[0] ?? '')) problems.push(`${name}: no range`);
  return problems;
}
