import { existsSync, readFileSync } from 'node:fs';
import type { Database, Kysely } from '@trellis/db';
import { newId } from '@trellis/db';
import { createTestDatabase, type TestDatabase, testDatabaseDialect } from '@trellis/db/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from './random.js';
import {
  type AuthUser,
  createSession,
  DEFAULT_SESSION_POLICY,
  deleteExpiredSessions,
  invalidateAllUserSessions,
  invalidateSession,
  invalidateUserSession,
  listUserSessions,
  type SessionPolicy,
  validateSessionToken,
} from './sessions.js';

const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The moment every test's story starts; `at(ms)` is that long after it. */
const T0 = new Date('2025-03-01T12:00:00.000Z');
function at(ms: number): Date {
  return new Date(T0.getTime() + ms);
}
function iso(ms: number): string {
  return at(ms).toISOString();
}

const TOKEN_SHAPE =
  /^[abcdefghijkmnpqrstuvwxyz23456789]{24}\.[abcdefghijkmnpqrstuvwxyz23456789]{32}$/;

let testDb: TestDatabase;
let db: Kysely<Database>;

beforeEach(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
});

afterEach(async () => {
  await testDb.destroy();
});

/** A user row to hang sessions on (no password: sessions do not care how they signed in). */
async function givenUser(name: string): Promise<AuthUser> {
  const user = { id: newId(), email: `${name.toLowerCase()}@example.com`, name };
  await db
    .insertInto('users')
    .values({ ...user, password_hash: null, created_at: iso(0), updated_at: iso(0) })
    .execute();
  return user;
}

/** A session for `user` started `startMs` after T0; returns its token and id. */
async function givenSession(user: AuthUser, startMs = 0): Promise<{ token: string; id: string }> {
  const { token, session } = await createSession(db, user.id, {}, { now: at(startMs) });
  return { token, id: session.id };
}

function partsOf(token: string): { id: string; secret: string } {
  const [id = '', secret = ''] = token.split('.');
  return { id, secret };
}

async function sessionRow(id: string) {
  return db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
}

async function allSessionRows() {
  return db.selectFrom('sessions').selectAll().execute();
}

/** Validates `token` at `ms` after T0. */
function validateAt(token: string, ms: number, policy?: SessionPolicy) {
  return validateSessionToken(db, token, { now: at(ms), policy });
}

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

describe('validateSessionToken', () => {
  it('resolves a fresh token to its session and user', async () => {
    const user = await givenUser('Ada');
    const { token, session } = await createSession(db, user.id, { userAgent: 'Safari' });

    const result = await validateSessionToken(db, token);

    expect(result).toEqual({ session, user });
  });

  it('rejects the right id with a wrong secret, and leaves the session alive', async () => {
    const user = await givenUser('Ada');
    const { token, id } = await givenSession(user);
    const forged = `${id}.${'a'.repeat(32)}`;

    const result = await validateAt(forged, MINUTE);

    expect(result).toBeNull();
    expect(await sessionRow(id)).toBeDefined();
    expect((await validateAt(token, MINUTE))?.session.id).toBe(id);
  });

  it('rejects a secret that differs from the real one in only its last character', async () => {
    const user = await givenUser('Ada');
    const { token } = await givenSession(user);
    const lastChar = token.at(-1) === 'a' ? 'b' : 'a';

    expect(await validateAt(`${token.slice(0, -1)}${lastChar}`, MINUTE)).toBeNull();
  });

  const malformed: [string, (token: string) => string][] = [
    ['empty', () => ''],
    ['just the id', (token) => partsOf(token).id],
    ['the id and a dot', (token) => `${partsOf(token).id}.`],
    ['just the secret', (token) => partsOf(token).secret],
    ['id and secret without the dot', (token) => token.replace('.', '')],
    ['another separator', (token) => token.replace('.', ':')],
    ['an extra character', (token) => `${token}a`],
    ['a character short', (token) => token.slice(0, -1)],
    ['a third part', (token) => `${token}.abc`],
    ['uppercased', (token) => token.toUpperCase()],
    ['surrounding whitespace', (token) => ` ${token} `],
    ['a character outside the alphabet', (token) => `${token.slice(0, -1)}_`],
  ];
  it.each(malformed)('rejects a malformed token: %s', async (_label, mangle) => {
    const user = await givenUser('Ada');
    const { token } = await givenSession(user);

    expect(await validateAt(mangle(token), MINUTE)).toBeNull();
  });

  it('rejects a well-formed token whose id is unknown', async () => {
    const user = await givenUser('Ada');
    const { token } = await givenSession(user);
    const { id, secret } = partsOf(token);
    const unknownId = id.startsWith('a') ? `b${id.slice(1)}` : `a${id.slice(1)}`;

    expect(await validateAt(`${unknownId}.${secret}`, MINUTE)).toBeNull();
  });

  it('rejects a token once the session is invalidated', async () => {
    const user = await givenUser('Ada');
    const { token, id } = await givenSession(user);

    await invalidateSession(db, id);

    expect(await validateAt(token, MINUTE)).toBeNull();
    expect(await sessionRow(id)).toBeUndefined();
  });

  it('rejects a token whose user has been deleted', async () => {
    const user = await givenUser('Ada');
    const { token } = await givenSession(user);

    await db.deleteFrom('users').where('id', '=', user.id).execute();

    expect(await validateAt(token, MINUTE)).toBeNull();
  });
});

describe('session expiry', () => {
  it('expires after 10 days without use, and deletes the row', async () => {
    const user = await givenUser('Ada');
    const { token, id } = await givenSession(user);

    const result = await validateAt(token, 10 * DAY + 1);

    expect(result).toBeNull();
    expect(await sessionRow(id)).toBeUndefined();
  });

  it('is still valid a millisecond before the inactivity window closes', async () => {
    const user = await givenUser('Ada');
    const { token, id } = await givenSession(user);

    expect((await validateAt(token, 10 * DAY - 1))?.session.id).toBe(id);
  });

  it('is expired at the very instant of expiresAt', async () => {
    const user = await givenUser('Ada');
    const { token, id } = await givenSession(user);

    expect(await validateAt(token, 10 * DAY)).toBeNull();
    expect(await sessionRow(id)).toBeUndefined();
  });

  it('slides: use on day 9 keeps the session alive on day 18', async () => {
    const user = await givenUser('Ada');
    const { token, id } = await givenSession(user);

    const day9 = await validateAt(token, 9 * DAY);
    expect(day9?.session.lastVerifiedAt).toBe(iso(9 * DAY));
    expect((await sessionRow(id))?.last_verified_at).toBe(iso(9 * DAY));

    const day18 = await validateAt(token, 18 * DAY);
    expect(day18?.session.id).toBe(id);
  });

  it('without use on day 9, the same session is dead on day 18', async () => {
    const user = await givenUser('Ada');
    const { token } = await givenSession(user);

    expect(await validateAt(token, 18 * DAY)).toBeNull();
  });

  it('ends after 30 days however active it is, and deletes the row', async () => {
    const user = await givenUser('Ada');
    const { token, id } = await givenSession(user);
    for (const day of [5, 10, 15, 20, 25]) {
      expect((await validateAt(token, day * DAY))?.session.id, `day ${day}`).toBe(id);
    }

    const day30 = await validateAt(token, 30 * DAY);

    expect(day30).toBeNull();
    expect(await sessionRow(id)).toBeUndefined();
  });

  it('is still valid a millisecond before the absolute limit', async () => {
    const user = await givenUser('Ada');
    const { token, id } = await givenSession(user);
    for (const day of [5, 10, 15, 20, 25]) await validateAt(token, day * DAY);

    expect((await validateAt(token, 30 * DAY - 1))?.session.id).toBe(id);
  });
});

describe('refreshing last_verified_at', () => {
  it('does not write when validated 30 minutes after the last write', async () => {
    const user = await givenUser('Ada');
    const { token, id } = await givenSession(user);

    const result = await validateAt(token, 30 * MINUTE);

    expect(result?.session.lastVerifiedAt).toBe(iso(0));
    expect((await sessionRow(id))?.last_verified_at).toBe(iso(0));
  });

  it('writes when validated 61 minutes after the last write', async () => {
    const user = await givenUser('Ada');
    const { token, id } = await givenSession(user);

    const result = await validateAt(token, 61 * MINUTE);

    expect(result?.session.lastVerifiedAt).toBe(iso(61 * MINUTE));
    expect((await sessionRow(id))?.last_verified_at).toBe(iso(61 * MINUTE));
  });

  it('measures the hour from the last write, not from the last validation', async () => {
    const user = await givenUser('Ada');
    const { token, id } = await givenSession(user);
    await validateAt(token, 30 * MINUTE);

    await validateAt(token, 61 * MINUTE);

    expect((await sessionRow(id))?.last_verified_at).toBe(iso(61 * MINUTE));
  });

  it('writes at exactly one hour', async () => {
    const user = await givenUser('Ada');
    const { token, id } = await givenSession(user);

    await validateAt(token, HOUR);

    expect((await sessionRow(id))?.last_verified_at).toBe(iso(HOUR));
  });

  it('never moves created_at', async () => {
    const user = await givenUser('Ada');
    const { token, id } = await givenSession(user);

    await validateAt(token, 2 * DAY);

    expect((await sessionRow(id))?.created_at).toBe(iso(0));
  });
});

describe('expiresAt', () => {
  it('is the inactivity limit while that comes first', async () => {
    const user = await givenUser('Ada');
    const { token } = await givenSession(user);

    const result = await validateAt(token, 9 * DAY);

    expect(result?.session.expiresAt).toBe(iso(19 * DAY));
  });

  it('is the absolute limit once that comes first', async () => {
    const user = await givenUser('Ada');
    const { token } = await givenSession(user);
    await validateAt(token, 9 * DAY);
    await validateAt(token, 18 * DAY);

    const result = await validateAt(token, 25 * DAY);

    expect(result?.session.lastVerifiedAt).toBe(iso(25 * DAY)); // inactivity would say day 35
    expect(result?.session.expiresAt).toBe(iso(30 * DAY));
  });

  it('follows a custom policy', async () => {
    const policy: SessionPolicy = { inactivityMs: HOUR, absoluteMs: 2 * HOUR, refreshMs: MINUTE };
    const user = await givenUser('Ada');
    const { token, session } = await createSession(db, user.id, {}, { now: T0, policy });
    expect(session.expiresAt).toBe(iso(HOUR));

    const slid = await validateAt(token, 59 * MINUTE, policy);
    const capped = await validateAt(token, 118 * MINUTE, policy);
    const ended = await validateAt(token, 120 * MINUTE, policy);

    expect(slid?.session.expiresAt).toBe(iso(119 * MINUTE));
    expect(capped?.session.expiresAt).toBe(iso(2 * HOUR));
    expect(ended).toBeNull();
  });
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
