// Ending sessions (one, or all of a user's), listing them, and sweeping the expired.
import type { Database, Kysely } from '@trellis/db';
import { describe, expect, it } from 'vitest';
import {
  createSession,
  deleteExpiredSessions,
  invalidateAllUserSessions,
  invalidateUserSession,
  listUserSessions,
} from './sessions.js';
import { at, DAY, HOUR, iso, MINUTE, sessionFixtures } from './test/session-fixtures.js';

let db: Kysely<Database>;
const { givenUser, givenSession, allSessionRows, validateAt } = sessionFixtures((fresh) => {
  db = fresh.db;
});

describe('invalidateAllUserSessions', () => {
  it("ends all of a user's sessions, returns how many, and spares other users", async () => {
    const ada = await givenUser('Ada');
    const grace = await givenUser('Grace');
    const adas = [await givenSession(ada), await givenSession(ada), await givenSession(ada)];
    const graces = await givenSession(grace);

    const ended = await invalidateAllUserSessions(db, ada.id);

    expect(ended).toBe(3);
    for (const { token } of adas) expect(await validateAt(token, MINUTE)).toBeNull();
    expect((await validateAt(graces.token, MINUTE))?.user.id).toBe(grace.id);
    expect((await allSessionRows()).map((row) => row.user_id)).toEqual([grace.id]);
  });

  it('returns 0 when the user has no sessions', async () => {
    const ada = await givenUser('Ada');

    expect(await invalidateAllUserSessions(db, ada.id)).toBe(0);
  });
});

describe('invalidateUserSession', () => {
  it("ends the user's own session and says so", async () => {
    const ada = await givenUser('Ada');
    const { token, id } = await givenSession(ada);

    const ended = await invalidateUserSession(db, ada.id, id);

    expect(ended).toBe(true);
    expect(await validateAt(token, MINUTE)).toBeNull();
  });

  it("cannot end another user's session", async () => {
    const ada = await givenUser('Ada');
    const mallory = await givenUser('Mallory');
    const { token, id } = await givenSession(ada);

    const ended = await invalidateUserSession(db, mallory.id, id);

    expect(ended).toBe(false);
    expect((await validateAt(token, MINUTE))?.user.id).toBe(ada.id);
  });

  it('returns false for a session that does not exist', async () => {
    const ada = await givenUser('Ada');

    expect(await invalidateUserSession(db, ada.id, 'a'.repeat(24))).toBe(false);
  });
});

describe('listUserSessions', () => {
  it("lists only the user's own live sessions, newest first", async () => {
    const ada = await givenUser('Ada');
    const grace = await givenUser('Grace');
    await createSession(db, ada.id, {}, { now: at(-20 * DAY) }); // long expired
    const older = await createSession(db, ada.id, { userAgent: 'Firefox' }, { now: at(0) });
    const newer = await createSession(db, ada.id, { ip: '198.51.100.4' }, { now: at(HOUR) });
    await givenSession(grace, 2 * HOUR);

    const sessions = await listUserSessions(db, ada.id, { now: at(3 * HOUR) });

    expect(sessions).toEqual([newer.session, older.session]);
  });

  it('omits a session past its absolute limit even though it was recently used', async () => {
    const ada = await givenUser('Ada');
    const { token } = await givenSession(ada, -29 * DAY);
    for (const day of [-25, -20, -15, -10, -5, -1]) await validateAt(token, day * DAY);
    expect(await listUserSessions(db, ada.id, { now: at(0) })).toHaveLength(1);

    const sessions = await listUserSessions(db, ada.id, { now: at(2 * DAY) });

    expect(sessions).toEqual([]);
  });

  it('reports each session with its current expiry', async () => {
    const ada = await givenUser('Ada');
    const { token, id } = await givenSession(ada);
    await validateAt(token, 9 * DAY);

    const [session] = await listUserSessions(db, ada.id, { now: at(9 * DAY + MINUTE) });

    expect(session).toMatchObject({
      id,
      lastVerifiedAt: iso(9 * DAY),
      expiresAt: iso(19 * DAY),
    });
  });

  it('is empty for a user without sessions', async () => {
    const ada = await givenUser('Ada');

    expect(await listUserSessions(db, ada.id)).toEqual([]);
  });
});

describe('deleteExpiredSessions', () => {
  it('deletes sessions past either limit and keeps live ones', async () => {
    const ada = await givenUser('Ada');
    // Another user's, so that Ada's later sign-in (which ends Ada's expired sessions
    // itself) leaves it for the sweep.
    await givenSession(await givenUser('Grace'), 0); // never used again: inactive from day 10
    const active = await givenSession(ada, 0);
    // `active` is used every 5 days, so only the absolute limit (day 30) can end it.
    for (let day = 5; day <= 25; day += 5) await validateAt(active.token, day * DAY);
    const fresh = await givenSession(ada, 25 * DAY);

    const atDay15 = await deleteExpiredSessions(db, { now: at(15 * DAY) });
    const remainingAt15 = (await allSessionRows()).map((row) => row.id).sort();
    const atDay31 = await deleteExpiredSessions(db, { now: at(31 * DAY) });

    expect(atDay15).toBe(1);
    expect(remainingAt15).toEqual([active.id, fresh.id].sort());
    expect(atDay31).toBe(1);
    expect((await allSessionRows()).map((row) => row.id)).toEqual([fresh.id]);
  });
});
