import { createDatabase, newId } from '@trellis/db';
import { createTestDatabase, type TestDatabase, testDatabaseDialect } from '@trellis/db/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { insertNotifications } from '../queries/notifications.js';
import { NotificationBus } from './bus.js';
import { type NotificationFanOut, startNotificationFanOut } from './fan-out.js';

// The fan-out as another server process runs it: its own connection and its own bus,
// hearing notifications written through this one. On SQLite it does nothing (the feeds'
// polling is the mechanism there).

let database: TestDatabase;
let fanOut: NotificationFanOut | undefined;

beforeEach(async () => {
  database = await createTestDatabase();
});

afterEach(async () => {
  await fanOut?.close();
  fanOut = undefined;
  await database.destroy();
});

/** A workspace with `count` members; answers its id and the members' ids. */
async function workspaceWith(count: number) {
  const at = new Date().toISOString();
  const workspaceId = newId();
  await database.db
    .insertInto('workspaces')
    .values({
      id: workspaceId,
      name: 'W',
      slug: `w-${workspaceId.slice(0, 8).toLowerCase()}`,
      created_at: at,
      updated_at: at,
    })
    .execute();
  const userIds: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const id = newId();
    await database.db
      .insertInto('users')
      .values({
        id,
        email: `${id}@example.com`,
        name: `U${i}`,
        handle: `u-${id.slice(0, 12).toLowerCase()}`,
        password_hash: null,
        email_verified_at: null,
        created_at: at,
        updated_at: at,
      })
      .execute();
    await database.db
      .insertInto('memberships')
      .values({ workspace_id: workspaceId, user_id: id, role: 'member', created_at: at })
      .execute();
    userIds.push(id);
  }
  return { workspaceId, userIds };
}

function notify(workspaceId: string, userId: string) {
  return database.db.transaction().execute((trx) =>
    insertNotifications(
      trx,
      [
        {
          userId,
          workspaceId,
          kind: 'assigned',
          taskId: null,
          commentId: null,
          actorId: null,
          data: { task: { id: 't', key: 'K-1', title: 'T' } },
        },
      ],
      new Date(),
    ),
  );
}

/** Resolves once `bus` rings for `userId`, writing every 100 ms until it does (the listener
 * connects in the background), or rejects after 30 s. */
function heardAfterWriting(bus: NotificationBus, workspaceId: string, userId: string) {
  return new Promise<void>((resolve, reject) => {
    const writer = setInterval(() => void notify(workspaceId, userId), 100);
    const timer = setTimeout(() => done(new Error('no notification within 30 s')), 30_000);
    const unlisten = bus.listen(userId, () => done());
    function done(error?: Error) {
      clearInterval(writer);
      clearTimeout(timer);
      unlisten();
      if (error) reject(error);
      else resolve();
    }
  });
}

describe.runIf(testDatabaseDialect() === 'postgres')(
  'startNotificationFanOut on PostgreSQL',
  () => {
    it("rings another process's bus for the recipient only, and stops when closed", async () => {
      const elsewhere = createDatabase(database.url);
      const bus = new NotificationBus();
      fanOut = startNotificationFanOut(elsewhere, database.url, () => undefined, bus);
      const { workspaceId, userIds } = await workspaceWith(2);
      const [told, other] = userIds as [string, string];
      const heard: string[] = [];
      bus.listen(other, () => heard.push(other));

      await heardAfterWriting(bus, workspaceId, told);
      expect(heard).toEqual([]);

      await fanOut.close();
      fanOut = undefined;
      // A witness still listening hears the next writes; the closed one must not. Nothing
      // announces that nothing arrived, so the witness's hearing is the moment to look.
      const witness = new NotificationBus();
      const open = startNotificationFanOut(elsewhere, database.url, () => undefined, witness);
      try {
        await heardAfterWriting(witness, workspaceId, other);
      } finally {
        await open.close();
      }
      expect(heard).toEqual([]);
      await elsewhere.destroy();
    });
  },
);

describe.runIf(testDatabaseDialect() === 'sqlite')('startNotificationFanOut on SQLite', () => {
  it('does nothing, and closes', async () => {
    const bus = new NotificationBus();
    const heard: string[] = [];
    const { workspaceId, userIds } = await workspaceWith(1);
    const [userId] = userIds as [string];
    bus.listen(userId, () => heard.push(userId));
    fanOut = startNotificationFanOut(database.db, database.url, () => undefined, bus);
    // SQLite has no LISTEN: a write rings only this process's own bus, never this one.
    await notify(workspaceId, userId);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(heard).toEqual([]);
    await expect(fanOut.close()).resolves.toBeUndefined();
    fanOut = undefined;
  });
});
