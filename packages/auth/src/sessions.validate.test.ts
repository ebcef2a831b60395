// validateSessionToken: which tokens it accepts, expiry by inactivity and by age, refreshing
// last_verified_at, and the expiresAt it reports.
import type { Database, Kysely } from '@trellis/db';
import { describe, expect, it } from 'vitest';
import {
  createSession,
  invalidateSession,
  type SessionPolicy,
  validateSessionToken,
} from './sessions.js';
import { DAY, HOUR, iso, MINUTE, partsOf, sessionFixtures, T0 } from './test/session-fixtures.js';

let db: Kysely<Database>;
const { givenUser, givenSession, sessionRow, validateAt } = sessionFixtures((fresh) => {
  db = fresh.db;
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
