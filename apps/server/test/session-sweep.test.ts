import { createSession } from '@trellis/auth';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';

let server: TestServer | undefined;
afterEach(() => server?.close());

const DAY = 24 * 60 * 60 * 1000;

async function sessionIds(db: TestServer['db']) {
  return (await db.selectFrom('sessions').select('id').execute()).map((row) => row.id);
}

describe('session sweep', () => {
  it('deletes sessions nobody used for longer than the inactivity limit', async () => {
    server = await startTestServer({ sessionSweepIntervalMs: 25 });
    const { db } = server;
    const now = new Date().toISOString();
    await db
      .insertInto('users')
      .values({
        id: 'u1',
        email: 'u1@example.com',
        name: 'U',
        handle: 'u1',
        password_hash: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    const stale = await createSession(db, 'u1', {}, { now: new Date(Date.now() - 11 * DAY) });
    const live = await createSession(db, 'u1');

    await expect
      .poll(() => sessionIds(db), { timeout: 30_000, interval: 25 })
      .toEqual([live.session.id]);
    expect(await sessionIds(db)).not.toContain(stale.session.id);
  });
});
