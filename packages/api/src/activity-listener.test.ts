import { createDatabase, newId } from '@trellis/db';
import { createTestDatabase, type TestDatabase, testDatabaseDialect } from '@trellis/db/testing';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActivityBus, recordActivity } from './activity.js';
import { type ActivityFanOut, startActivityFanOut } from './activity-listener.js';

// The fan-out as another server process runs it: its own database connection and its own
// bus, hearing writes made through this one. On SQLite it does nothing (polling is the
// mechanism there: apps/server/src/multi-process.test.ts).

let database: TestDatabase;
let fanOut: ActivityFanOut | undefined;

beforeEach(async () => {
  database = await createTestDatabase();
});

afterEach(async () => {
  await fanOut?.close();
  fanOut = undefined;
  await database.destroy();
});

/** A workspace row to hang activity on. */
async function workspace(): Promise<string> {
  const id = newId();
  const at = new Date().toISOString();
  await database.db
    .insertInto('workspaces')
    .values({
      id,
      name: 'W',
      slug: `w-${id.slice(0, 8).toLowerCase()}`,
      created_at: at,
      updated_at: at,
    })
    .execute();
  return id;
}

function record(workspaceId: string) {
  return recordActivity(
    database.db,
    { workspaceId, actor: null, type: 'project.created', data: {} },
    new Date(),
  );
}

/** Resolves once `bus` rings for `workspaceId`, writing every 100 ms until it does (the
 * listener connects in the background), or rejects after 30 s. */
function heardAfterWriting(bus: ActivityBus, workspaceId: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const writer = setInterval(() => void record(workspaceId), 100);
    const timer = setTimeout(() => done(new Error('no notification within 30 s')), 30_000);
    const unlisten = bus.listen(workspaceId, () => done());
    function done(error?: Error) {
      clearInterval(writer);
      clearTimeout(timer);
      unlisten();
      if (error) reject(error);
      else resolve();
    }
  });
}

describe.runIf(testDatabaseDialect() === 'postgres')('startActivityFanOut on PostgreSQL', () => {
  it("rings another process's bus for the workspace written to, and stops when closed", async () => {
    const elsewhere = createDatabase(database.url);
    const bus = new ActivityBus();
    fanOut = startActivityFanOut(elsewhere, database.url, () => undefined, bus);
    const [watched, other] = [await workspace(), await workspace()];
    const heard: string[] = [];
    bus.listen(other, () => heard.push(other));

    await heardAfterWriting(bus, watched);
    expect(heard).toEqual([]);

    await fanOut.close();
    fanOut = undefined;
    await record(other);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(heard).toEqual([]);
    await elsewhere.destroy();
  });

  it('listens again after its connection is killed', async () => {
    const elsewhere = createDatabase(database.url);
    const bus = new ActivityBus();
    const errors: Error[] = [];
    fanOut = startActivityFanOut(elsewhere, database.url, (error) => errors.push(error), bus);
    const workspaceId = await workspace();
    await heardAfterWriting(bus, workspaceId);

    const killed = await sql<{ killed: boolean }>`
      select pg_terminate_backend(pid) as killed from pg_stat_activity
      where datname = current_database() and application_name like 'trellis listen %'`.execute(
      database.db,
    );
    expect(killed.rows).toEqual([{ killed: true }]);

    await heardAfterWriting(bus, workspaceId);
    expect(errors.length).toBeGreaterThan(0);
    await elsewhere.destroy();
  });
});
