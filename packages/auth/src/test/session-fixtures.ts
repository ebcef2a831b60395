// What the sessions tests arrange and read back: a fresh database per test, users and
// sessions at chosen moments after T0, and the session rows as stored.
import { newId } from '@trellis/db';
import type { TestDatabase } from '@trellis/db/testing';
import {
  type AuthUser,
  createSession,
  type SessionPolicy,
  validateSessionToken,
} from '../sessions.js';
import { databaseForEachTest } from './database.js';

export const MINUTE = 60 * 1000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** The moment every test's story starts; `at(ms)` is that long after it. */
export const T0 = new Date('2025-03-01T12:00:00.000Z');
export function at(ms: number): Date {
  return new Date(T0.getTime() + ms);
}
export function iso(ms: number): string {
  return at(ms).toISOString();
}

/** `<id>.<secret>` in the token alphabet (no 0, 1, l, o). */
export const TOKEN_SHAPE =
  /^[abcdefghijkmnpqrstuvwxyz23456789]{24}\.[abcdefghijkmnpqrstuvwxyz23456789]{32}$/;

export function partsOf(token: string): { id: string; secret: string } {
  const [id = '', secret = ''] = token.split('.');
  return { id, secret };
}

/**
 * A fresh test database for every test of the calling file (destroyed after it), handed
 * to `use`, and the fixtures over it.
 */
export function sessionFixtures(use: (fresh: TestDatabase) => void) {
  const db = databaseForEachTest(use);

  /** A user row to hang sessions on (no password: sessions do not care how they signed in). */
  async function givenUser(name: string): Promise<AuthUser> {
    const user = { id: newId(), email: `${name.toLowerCase()}@example.com`, name };
    await db()
      .insertInto('users')
      .values({
        ...user,
        handle: name.toLowerCase(),
        password_hash: null,
        created_at: iso(0),
        updated_at: iso(0),
      })
      .execute();
    return user;
  }

  /** A session for `user` started `startMs` after T0; returns its token and id. */
  async function givenSession(user: AuthUser, startMs = 0): Promise<{ token: string; id: string }> {
    const { token, session } = await createSession(db(), user.id, {}, { now: at(startMs) });
    return { token, id: session.id };
  }

  async function sessionRow(id: string) {
    return db().selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async function allSessionRows() {
    return db().selectFrom('sessions').selectAll().execute();
  }

  /** Validates `token` at `ms` after T0. */
  function validateAt(token: string, ms: number, policy?: SessionPolicy) {
    return validateSessionToken(db(), token, { now: at(ms), policy });
  }

  return { givenUser, givenSession, sessionRow, allSessionRows, validateAt };
}
