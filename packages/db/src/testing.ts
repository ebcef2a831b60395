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
