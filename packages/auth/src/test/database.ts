import type { Database, Kysely } from '@trellis/db';
import { createTestDatabase, type TestDatabase } from '@trellis/db/testing';
import { afterEach, beforeEach } from 'vitest';

/**
 * A fresh test database for every test of the calling file (destroyed after it), handed to
 * `use`; the returned function finds the running test's.
 */
export function databaseForEachTest(use: (fresh: TestDatabase) => void = () => {}) {
  let current: TestDatabase | undefined;
  beforeEach(async () => {
    current = await createTestDatabase();
    use(current);
  });
  afterEach(async () => {
    await current?.destroy();
    current = undefined;
  });
  return (): Kysely<Database> => {
    if (!current) throw new Error('no test database (call from a test or hook)');
    return current.db;
  };
}
