import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isoNow, newId } from './ids.js';
import {
  matchingTaskIds,
  searchTaskMatches,
  searchWords,
  toFtsQuery,
  toTsQuery,
} from './search.js';
import { createTestDatabase, HOSTILE_SEARCH_TEXT, type TestDatabase } from './testing.js';

describe('search queries from user text', () => {
  it('keep only words, quoted and prefix-matched, on both dialects', () => {
    for (const text of HOSTILE_SEARCH_TEXT) {
      const fts = toFtsQuery(text);
      const ts = toTsQuery(text);
      expect(fts === null, text).toBe(ts === null);
      if (fts !== null)
        expect(fts, text).toMatch(/^"[\p{L}\p{N}]{1,64}"\*( "[\p{L}\p{N}]{1,64}"\*)*$/u);
      if (ts !== null)
        expect(ts, text).toMatch(/^'[\p{L}\p{N}]{1,64}':\*( & '[\p{L}\p{N}]{1,64}':\*)*$/u);
    }
  });

  it('take at most 16 words of at most 64 characters, normalised (NFKC)', () => {
    expect(searchWords(Array.from({ length: 40 }, (_, i) => `w${i}`).join(' '))).toHaveLength(16);
    expect(searchWords('x'.repeat(100))).toEqual(['x'.repeat(64)]);
    expect(searchWords('ﬁle ＡＢＣ')).toEqual(['file', 'ABC']);
    expect(toTsQuery('title:x NEAR(a b)')).toBe("'title':* & 'x':* & 'NEAR':* & 'a':* & 'b':*");
    expect(toFtsQuery('"unbalanced')).toBe('"unbalanced"*');
  });
});

describe('searchTaskMatches', () => {
  let database: TestDatabase;
  let workspaceId: string;

  beforeEach(async () => {
    database = await createTestDatabase();
    const { db } = database;
    const at = isoNow();
    const userId = newId();
    workspaceId = newId();
    const projectId = newId();
    await db
      .insertInto('users')
      .values({
        id: userId,
        email: 'a@example.com',
        name: 'A',
        handle: 'a',
        password_hash: null,
        created_at: at,
        updated_at: at,
      })
      .execute();
    await db
      .insertInto('workspaces')
      .values({ id: workspaceId, name: 'W', slug: 'w', created_at: at, updated_at: at })
      .execute();
    await db
      .insertInto('projects')
      .values({
        id: projectId,
        workspace_id: workspaceId,
        key: 'K',
        name: 'K',
        archived_at: null,
        created_at: at,
        updated_at: at,
      })
      .execute();
    await db
      .insertInto('project_states')
      .values({
        id: 'state-todo',
        workspace_id: workspaceId,
        project_id: projectId,
        name: 'Todo',
        category: 'unstarted',
        position: 1,
        created_at: at,
        updated_at: at,
      })
      .execute();
    await db
      .insertInto('tasks')
      .values({
        id: 'task-1',
        workspace_id: workspaceId,
        project_id: projectId,
        number: 1,
        title: 'Title x and a NEAR y',
        description: 'mail ada@example.com about /usr/bin and 1.5 — Crème brûlée',
        status: 'todo',
        state_id: 'state-todo',
        priority: 0,
        assignee_id: null,
        due_at: null,
        created_by: userId,
        created_at: at,
        updated_at: at,
        completed_at: null,
      })
      .execute();
  });

  afterEach(async () => {
    await database.destroy();
  });

  const idsFor = async (text: string) =>
    (await searchTaskMatches(database.db, workspaceId, text, 10)).map((match) => match.taskId);

  it('runs every hostile text as words, never as syntax', async () => {
    for (const text of HOSTILE_SEARCH_TEXT) {
      await expect(
        searchTaskMatches(database.db, workspaceId, text, 10),
        text,
      ).resolves.toBeInstanceOf(Array);
      const subquery = matchingTaskIds(database.db, workspaceId, text);
      if (subquery) await expect(subquery.execute(), text).resolves.toBeInstanceOf(Array);
    }
    expect(await idsFor('title:x')).toEqual(['task-1']);
  });

  it('splits words at every ASCII mark, as FTS5 does, and ignores diacritics', async () => {
    for (const text of ['example', 'ada example com', 'usr bin', '1 5', 'creme brulee', 'BRÛL']) {
      expect(await idsFor(text), text).toEqual(['task-1']);
    }
    expect(await idsFor('sample')).toEqual([]);
  });
});
