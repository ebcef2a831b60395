import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { createDatabase } from './database.js';
import { migrateToLatest } from './migrate.js';
import type { Database } from './schema.js';

/** A migrated database on a real SQLite file in a fresh temp folder. */
export interface TestDatabase {
  db: Kysely<Database>;
  url: string;
  /** Closes the database and deletes its folder. */
  destroy(): Promise<void>;
}

/** Opens a migrated database on a temp file, for tests. Call `destroy()` after. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-test-'));
  const url = `file:${join(dir, 'trellis.db')}`;
  const db = createDatabase(url);
  await migrateToLatest(db);
  return {
    db,
    url,
    async destroy() {
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Search text that is FTS5 syntax, SQL, or just unkind: tests send each one and expect it to
 * be searched as words (never a 500), wherever search is reachable.
 */
export const HOSTILE_SEARCH_TEXT: readonly string[] = [
  '"',
  '""',
  '"unbalanced',
  'unbalanced"',
  '*',
  '**',
  'a*b',
  '*a',
  'NEAR(a b)',
  'NEAR(a b, 2)',
  'NEAR',
  'OR',
  'AND',
  'NOT',
  'a OR',
  'OR a',
  'a AND NOT b',
  '(',
  ')',
  '((a)',
  'title:x',
  '{title}: x',
  '{title description}: x',
  '-x',
  '^x',
  'x + y',
  "'; drop table tasks; --",
  '\u0000',
  'x\u0000y',
  '🔥🚀',
  'עברית ערבית عربي',
  '\u202etxet lrt\u202c',
  'w'.repeat(200),
  'ā'.repeat(200),
  '!@#$%^&*()_+-=[]{}|;:,.<>/?`~',
  '\ud800',
  'a\udfffb',
  '   ',
  '\t\n\r',
  'x'.repeat(64) + 'y'.repeat(64),
  Array.from({ length: 40 }, (_, i) => `w${i}`).join(' '),
  'rowid',
  'task_fts',
  '%_%',
  '\\',
  'a"b"c',
  'comments : x',
  "' OR 1=1 --",
  '&q=x&input=',
];
