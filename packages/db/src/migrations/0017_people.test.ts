import { type Kysely, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateDown, migrateToLatest, pendingMigrations } from '../migrate.js';
import type { Database } from '../schema.js';
import { createTestDatabase, type TestDatabase, testDatabaseDialect } from '../testing.js';

// 0017 gives every existing account a handle by the rule new accounts follow
// (@trellis/auth's handleBase), and counts tasks already past due as reminded.

const NAME = '0017_people';
const databases: TestDatabase[] = [];
afterEach(async () => {
  for (const database of databases.splice(0)) await database.destroy();
});

async function before0017(): Promise<Kysely<Database>> {
  const database = await createTestDatabase();
  databases.push(database);
  const { db } = database;
  while (!(await pendingMigrations(db)).includes(NAME)) await migrateDown(db);
  return db;
}

describe(`migration ${NAME} on ${testDatabaseDialect()}`, () => {
  it('gives accounts handles in sign-up order, ending in a letter or digit where cut', async () => {
    const db = await before0017();
    const users = [
      ['a', 'Jane.Doe@example.com', '2030-01-01T00:00:00.000Z'],
      ['b', 'jane_doe@example.org', '2030-01-02T00:00:00.000Z'],
      ['c', 'jane.doe@example.net', '2030-01-03T00:00:00.000Z'],
      ['d', 'abcdefghijklmnopqrstuvwxyz0-x@example.com', '2030-01-04T00:00:00.000Z'],
      ['e', 'x@example.com', '2030-01-05T00:00:00.000Z'],
    ];
    for (const [id, email, at] of users) {
      await sql`insert into users (id, email, name, created_at, updated_at)
        values (${id}, ${email}, 'N', ${at}, ${at})`.execute(db);
    }
    await migrateToLatest(db);
    const rows = await db.selectFrom('users').select(['id', 'handle']).orderBy('id').execute();
    expect(rows).toEqual([
      { id: 'a', handle: 'jane-doe' },
      { id: 'b', handle: 'jane_doe' },
      { id: 'c', handle: 'jane-doe2' },
      { id: 'd', handle: 'abcdefghijklmnopqrstuvwxyz0' },
      { id: 'e', handle: 'user-x' },
    ]);
  });
});
