import type { Database, Kysely } from '@trellis/db';
import { isUniqueViolation, newId } from '@trellis/db';
import { createTestDatabase, type TestDatabase } from '@trellis/db/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from './passwords.js';
import {
  authenticateWithPassword,
  createPasswordUser,
  emailTaken,
  matchPassword,
  normalizeEmail,
  passwordStillCurrent,
  setPasswordHash,
} from './users.js';

const PASSWORD = 'correct horse battery staple';
const ARGON2ID_PREFIX = '$argon2id$v=19$m=19456,t=2,p=1$';

let testDb: TestDatabase;
let db: Kysely<Database>;

beforeEach(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
});

afterEach(async () => {
  await testDb.destroy();
});

/** Ada, signed up with a password. */
async function givenAda(overrides: { email?: string; password?: string } = {}) {
  return createPasswordUser(db, {
    email: overrides.email ?? 'ada@example.com',
    name: 'Ada Lovelace',
    passwordHash: await hashPassword(overrides.password ?? PASSWORD),
  });
}

async function userRow(id: string) {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/** The error a promise rejects with; fails the test if it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

describe('normalizeEmail', () => {
  it('trims and lowercases', () => {
    expect(normalizeEmail('  Ada.Lovelace@Example.COM\t')).toBe('ada.lovelace@example.com');
  });
});

describe('createPasswordUser', () => {
  it('returns the new user with a trimmed, lowercased email and a trimmed name', async () => {
    const user = await createPasswordUser(db, {
      email: '  Ada@Example.COM ',
      name: '  Ada Lovelace ',
      passwordHash: await hashPassword(PASSWORD),
    });

    expect(user).toEqual({
      id: user.id,
      email: 'ada@example.com',
      name: 'Ada Lovelace',
      handle: 'ada',
    });
    expect(user.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('stores the user as returned, with both timestamps at `now`', async () => {
    const now = new Date('2025-03-01T12:00:00.000Z');

    const user = await createPasswordUser(
      db,
      { email: 'Ada@Example.com', name: 'Ada', passwordHash: await hashPassword(PASSWORD) },
      now,
    );

    expect(await userRow(user.id)).toMatchObject({
      id: user.id,
      email: 'ada@example.com',
      name: 'Ada',
      created_at: '2025-03-01T12:00:00.000Z',
      updated_at: '2025-03-01T12:00:00.000Z',
    });
  });

  it('stores an argon2id hash of the password, never the password itself', async () => {
    const user = await givenAda();

    const row = await userRow(user.id);

    expect(row.password_hash?.startsWith(ARGON2ID_PREFIX)).toBe(true);
    expect(JSON.stringify(row)).not.toContain(PASSWORD);
    expect(await verifyPassword(row.password_hash ?? '', PASSWORD)).toBe(true);
  });

  it('refuses a second account whose email differs only in case, as a unique violation', async () => {
    await givenAda({ email: 'ada@example.com' });

    const error = await rejectionOf(givenAda({ email: ' ADA@Example.com ' }));

    expect(isUniqueViolation(error)).toBe(true);
    expect(await db.selectFrom('users').select('email').execute()).toEqual([
      { email: 'ada@example.com' },
    ]);
  });

  it('lets different emails sign up', async () => {
    await givenAda({ email: 'ada@example.com' });

    await givenAda({ email: 'ada@example.org' });

    expect(await db.selectFrom('users').select('id').execute()).toHaveLength(2);
  });
});

describe('emailTaken', () => {
  it('is true for a registered email in any case or padding', async () => {
    await givenAda({ email: 'ada@example.com' });

    expect(await emailTaken(db, 'ada@example.com')).toBe(true);
    expect(await emailTaken(db, '  ADA@example.COM ')).toBe(true);
  });

  it('is false for an email nobody uses', async () => {
    await givenAda({ email: 'ada@example.com' });

    expect(await emailTaken(db, 'grace@example.com')).toBe(false);
  });

  it('is false on an empty database', async () => {
    expect(await emailTaken(db, 'ada@example.com')).toBe(false);
  });
});

describe('passwordStillCurrent', () => {
  // A sign-in checks the password outside any transaction; whatever changed it since
  // (a reset, a change, an account takeover) ended every session, so the sign-in must not
  // start one.
  it('holds while the password that matched is unchanged', async () => {
    await givenAda();
    const match = await matchPassword(db, 'ada@example.com', PASSWORD);
    if (!match) throw new Error('no match');

    const current = await db
      .transaction()
      .execute((trx) => passwordStillCurrent(trx, match.user.id, match.passwordHash));

    expect(current).toBe(true);
  });

  it('fails once the password was changed after it matched', async () => {
    await givenAda();
    const match = await matchPassword(db, 'ada@example.com', PASSWORD);
    if (!match) throw new Error('no match');
    await setPasswordHash(db, match.user.id, await hashPassword('another good password'));

    const current = await db
      .transaction()
      .execute((trx) => passwordStillCurrent(trx, match.user.id, match.passwordHash));

    expect(current).toBe(false);
  });

  it('fails once the password was removed (an account taken over through an issuer)', async () => {
    await givenAda();
    const match = await matchPassword(db, 'ada@example.com', PASSWORD);
    if (!match) throw new Error('no match');
    await db
      .updateTable('users')
      .set({ password_hash: null })
      .where('id', '=', match.user.id)
      .execute();

    const current = await db
      .transaction()
      .execute((trx) => passwordStillCurrent(trx, match.user.id, match.passwordHash));

    expect(current).toBe(false);
  });
});

describe('authenticateWithPassword', () => {
  it('returns the user for the right password', async () => {
    const ada = await givenAda();

    const result = await authenticateWithPassword(db, 'ada@example.com', PASSWORD);

    expect(result).toEqual(ada);
  });

  it('finds the user whatever the case or padding of the typed email', async () => {
    const ada = await givenAda({ email: 'ada@example.com' });

    const result = await authenticateWithPassword(db, ' Ada@EXAMPLE.com ', PASSWORD);

    expect(result).toEqual(ada);
  });

  it('returns null for a wrong password', async () => {
    await givenAda();

    const result = await authenticateWithPassword(db, 'ada@example.com', `${PASSWORD}!`);

    expect(result).toBeNull();
  });

  it("returns null for another user's password", async () => {
    await givenAda({ email: 'ada@example.com', password: PASSWORD });
    await givenAda({ email: 'grace@example.com', password: 'grace-hopper-cobol' });

    const result = await authenticateWithPassword(db, 'ada@example.com', 'grace-hopper-cobol');

    expect(result).toBeNull();
  });

  it('returns null for an unknown email', async () => {
    await givenAda();

    const result = await authenticateWithPassword(db, 'grace@example.com', PASSWORD);

    expect(result).toBeNull();
  });

  it('returns null for an account without a password (OAuth only)', async () => {
    await db
      .insertInto('users')
      .values({
        id: newId(),
        email: 'oauth@example.com',
        name: 'OAuth Only',
        handle: 'oauth',
        password_hash: null,
        created_at: '2025-03-01T12:00:00.000Z',
        updated_at: '2025-03-01T12:00:00.000Z',
      })
      .execute();

    const result = await authenticateWithPassword(db, 'oauth@example.com', PASSWORD);

    expect(result).toBeNull();
  });

  it('returns null for the empty password', async () => {
    await givenAda();

    expect(await authenticateWithPassword(db, 'ada@example.com', '')).toBeNull();
  });
});
