// createSession: the default policy, what a new session stores, and the cap on sessions
// per user.
import { existsSync, readFileSync } from 'node:fs';
import type { Database, Kysely } from '@trellis/db';
import { type TestDatabase, testDatabaseDialect } from '@trellis/db/testing';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from './random.js';
import {
  createSession,
  DEFAULT_SESSION_POLICY,
  listUserSessions,
  type SessionPolicy,
  validateSessionToken,
} from './sessions.js';
import {
  at,
  DAY,
  HOUR,
  iso,
  MINUTE,
  partsOf,
  sessionFixtures,
  T0,
  TOKEN_SHAPE,
} from './test/session-fixtures.js';

let testDb: TestDatabase;
let db: Kysely<Database>;
const { givenUser, givenSession, sessionRow, allSessionRows, validateAt } = sessionFixtures(
  (fresh) => {
    testDb = fresh;
    db = fresh.db;
  },
);

describe('DEFAULT_SESSION_POLICY', () => {
  it('is 10 days of inactivity, 30 days at most, refreshed at most hourly, 30 per user', () => {
    expect(DEFAULT_SESSION_POLICY).toEqual({
      inactivityMs: 10 * DAY,
      absoluteMs: 30 * DAY,
      refreshMs: HOUR,
      maxPerUser: 30,
    });
  });
});

describe('createSession', () => {
  it('returns a token of a 24-character id, a dot, and a 32-character secret', async () => {
    const user = await givenUser('Ada');

    const { token, session } = await createSession(db, user.id);

    expect(token).toMatch(TOKEN_SHAPE);
    expect(partsOf(token).id).toBe(session.id);
  });

  it('describes the new session, expiring after the inactivity window', async () => {
    const user = await givenUser('Ada');

    const { token, session } = await createSession(
      db,
      user.id,
      { userAgent: 'Firefox/130', ip: '203.0.113.7' },
      { now: T0 },
    );

    expect(session).toEqual({
      id: partsOf(token).id,
      userId: user.id,
      createdAt: iso(0),
      lastVerifiedAt: iso(0),
      expiresAt: iso(10 * DAY),
      userAgent: 'Firefox/130',
      ip: '203.0.113.7',
    });
  });

  it('stores null user agent and IP when the origin is unknown', async () => {
    const user = await givenUser('Ada');

    const { session } = await createSession(db, user.id);

    expect(await sessionRow(session.id)).toMatchObject({ user_agent: null, ip: null });
    expect(session).toMatchObject({ userAgent: null, ip: null });
  });

  it('cuts an overlong user agent to 512 characters', async () => {
    const user = await givenUser('Ada');

    const { session } = await createSession(db, user.id, { userAgent: 'U'.repeat(600) });

    expect((await sessionRow(session.id))?.user_agent).toBe('U'.repeat(512));
  });

  it('stores only the SHA-256 of the secret', async () => {
    const user = await givenUser('Ada');

    const { token } = await createSession(db, user.id);

    const { id, secret } = partsOf(token);
    expect((await sessionRow(id))?.secret_hash).toBe(sha256Hex(secret));
  });

  it('never puts the raw token or its secret in the sessions table', async () => {
    const user = await givenUser('Ada');

    const { token } = await createSession(db, user.id, { userAgent: 'Firefox', ip: '::1' });

    const dump = JSON.stringify(await allSessionRows());
    expect(dump).toContain(partsOf(token).id); // the dump really holds the row
    expect(dump).not.toContain(token);
    expect(dump).not.toContain(partsOf(token).secret);
  });

  // SQLite only: it reads the database's own files, which only SQLite keeps where the test
  // can read them; the dump of stored rows above covers PostgreSQL.
  it.runIf(testDatabaseDialect() === 'sqlite')(
    'never writes the secret to the database files on disk',
    async () => {
      const user = await givenUser('Ada');

      const { token } = await createSession(db, user.id);

      const file = testDb.url.slice('file:'.length);
      const bytes = [file, `${file}-wal`]
        .filter((path) => existsSync(path))
        .map((path) => readFileSync(path).toString('latin1'))
        .join('');
      expect(bytes).toContain(sha256Hex(partsOf(token).secret)); // the row reached the disk
      expect(bytes).not.toContain(partsOf(token).secret);
    },
  );

  it('gives every session its own id and secret', async () => {
    const user = await givenUser('Ada');

    const first = await createSession(db, user.id);
    const second = await createSession(db, user.id);

    expect(partsOf(first.token).id).not.toBe(partsOf(second.token).id);
    expect(partsOf(first.token).secret).not.toBe(partsOf(second.token).secret);
    expect(await allSessionRows()).toHaveLength(2);
  });
});

describe('sessions per user', () => {
  it('keeps at most 30: the 31st session ends the oldest, and only that one', async () => {
    const ada = await givenUser('Ada');
    const grace = await givenUser('Grace');
    const graces = await givenSession(grace, 0);
    const sessions = [];
    for (let i = 0; i < 31; i += 1) sessions.push(await givenSession(ada, i * MINUTE));

    const ids = (await listUserSessions(db, ada.id, { now: at(HOUR) })).map((s) => s.id);
    expect(ids).toHaveLength(30);
    expect(ids).not.toContain(sessions[0]?.id);
    expect(ids).toEqual(
      sessions
        .slice(1)
        .reverse()
        .map((s) => s.id),
    );
    expect(await validateAt(sessions[0]?.token ?? '', HOUR)).toBeNull();
    expect(await validateAt(sessions[1]?.token ?? '', HOUR)).not.toBeNull();
    // Another user's sessions do not count, and are not touched.
    expect(await sessionRow(graces.id)).toBeDefined();
  });

  it('follows the policy: with a bound of 2, a third session ends the first', async () => {
    const ada = await givenUser('Ada');
    const policy: SessionPolicy = { ...DEFAULT_SESSION_POLICY, maxPerUser: 2 };
    const started = [];
    for (let i = 0; i < 3; i += 1) {
      started.push(await createSession(db, ada.id, {}, { now: at(i * MINUTE), policy }));
    }

    const left = (await allSessionRows()).map((row) => row.id).sort();
    expect(left).toEqual([started[1]?.session.id, started[2]?.session.id].sort());
  });

  it("ends the user's expired sessions first, so they do not take live ones' places", async () => {
    const ada = await givenUser('Ada');
    const policy: SessionPolicy = { ...DEFAULT_SESSION_POLICY, maxPerUser: 2 };
    const old = await createSession(db, ada.id, {}, { now: at(0), policy });
    const stale = await createSession(db, ada.id, {}, { now: at(DAY), policy });
    // Used on days 9 and 18, `old` stays alive; `stale` is never used after day 1.
    await validateSessionToken(db, old.token, { now: at(9 * DAY), policy });
    await validateSessionToken(db, old.token, { now: at(18 * DAY), policy });

    // Day 19: `stale` is past its 10-day inactivity window, `old` is not.
    const fresh = await createSession(db, ada.id, {}, { now: at(19 * DAY), policy });

    const left = (await allSessionRows()).map((row) => row.id).sort();
    expect(left).toEqual([old.session.id, fresh.session.id].sort());
    expect(left).not.toContain(stale.session.id);
  });

  it('holds the bound when many sessions start at once', async () => {
    const ada = await givenUser('Ada');
    const policy: SessionPolicy = { ...DEFAULT_SESSION_POLICY, maxPerUser: 3 };

    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        createSession(db, ada.id, {}, { now: at(i * MINUTE), policy }),
      ),
    );

    expect(await allSessionRows()).toHaveLength(3);
  });

  it("counts and trims inside the caller's transaction, and rolls back with it", async () => {
    const ada = await givenUser('Ada');
    const policy: SessionPolicy = { ...DEFAULT_SESSION_POLICY, maxPerUser: 1 };
    const first = await createSession(db, ada.id, {}, { now: at(0), policy });

    await expect(
      db.transaction().execute(async (trx) => {
        await createSession(trx, ada.id, {}, { now: at(MINUTE), policy });
        throw new Error('the rest of the change failed');
      }),
    ).rejects.toThrow('the rest of the change failed');

    expect((await allSessionRows()).map((row) => row.id)).toEqual([first.session.id]);
  });
});
