import type { Database, Kysely } from '@trellis/db';
import { isUniqueViolation } from '@trellis/db';
import { createTestDatabase, type TestDatabase } from '@trellis/db/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HANDLE_PATTERN, handleBase, insertWithFreeHandle } from './handles.js';
import { signInWithOAuthIdentity } from './oauth/accounts.js';
import { createPasswordUser, insertUserRow, updateProfile } from './users.js';

// A hash is never checked here: these accounts only need rows.
const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA';

let testDb: TestDatabase;
let db: Kysely<Database>;
beforeEach(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
});
afterEach(async () => {
  await testDb.destroy();
});

const signUp = (email: string) =>
  createPasswordUser(db, { email, name: 'Someone', passwordHash: HASH });

describe('handleBase', () => {
  it('makes a handle from the local part as migration 0017 does', () => {
    expect(handleBase('Jane.Doe@example.com')).toBe('jane-doe');
    expect(handleBase('__x+tag__@example.com')).toBe('x-tag');
    expect(handleBase('a@example.com')).toBe('user-a');
    expect(handleBase('+@example.com')).toBe('user');
    expect(handleBase(`${'a'.repeat(27)}.b@example.com`)).toBe('a'.repeat(27));
  });

  it('always makes a valid handle', () => {
    for (const email of ['Jane.Doe@x.org', 'a@x.org', '..@x.org', `${'z-'.repeat(30)}@x.org`]) {
      expect(handleBase(email)).toMatch(HANDLE_PATTERN);
    }
  });
});

describe('new accounts', () => {
  it('get the base, then the next free number on a clash', async () => {
    expect((await signUp('jane.doe@a.example')).handle).toBe('jane-doe');
    expect((await signUp('jane.doe@b.example')).handle).toBe('jane-doe2');
    expect((await signUp('Jane_Doe@c.example')).handle).toBe('jane_doe');
    expect((await signUp('jane.doe@d.example')).handle).toBe('jane-doe3');
  });

  it('from OAuth get one too', async () => {
    await signUp('ola@a.example');
    const user = await signInWithOAuthIdentity(db, 'github', {
      subject: '42',
      email: 'ola@b.example',
      emailVerified: true,
      name: 'Ola',
    });
    expect(user.handle).toBe('ola2');
  });

  it('an unverified account taken over through OAuth loses a handle its maker chose', async () => {
    const squatter = await signUp('ada@example.com');
    await updateProfile(db, squatter.id, { handle: 'ceo' });
    const kept = await signUp('bob@example.com');
    await updateProfile(db, kept.id, { handle: 'bob2' });

    const ada = await signInWithOAuthIdentity(db, 'google', {
      subject: 'g-ada',
      email: 'ada@example.com',
      emailVerified: true,
      name: 'Ada',
    });
    const bob = await signInWithOAuthIdentity(db, 'google', {
      subject: 'g-bob',
      email: 'bob@example.com',
      emailVerified: true,
      name: 'Bob',
    });

    expect([ada.id, ada.handle]).toEqual([squatter.id, 'ada']);
    // A handle of the email's own form stays.
    expect([bob.id, bob.handle]).toEqual([kept.id, 'bob2']);
  });

  it('retry when a handle is taken between the read and the insert', async () => {
    let raced = false;
    const handle = await insertWithFreeHandle(db, 'race@x.example', async (candidate) => {
      if (!raced) {
        raced = true;
        // Another sign-up commits the same handle first.
        await signUp('race@y.example');
      }
      return insertUserRow(db, {
        id: 'racer',
        email: 'race@x.example',
        name: 'Racer',
        handle: candidate,
        password_hash: null,
        created_at: '2030-01-01T00:00:00.000Z',
        updated_at: '2030-01-01T00:00:00.000Z',
      });
    });
    expect(handle).toBe('race2');
  });

  it('still fail on a taken email', async () => {
    await signUp('same@x.example');
    const error = await signUp('same@x.example').catch((e: unknown) => e);
    expect(isUniqueViolation(error)).toBe(true);
  });
});

describe('updateProfile', () => {
  it('changes the name and handle, and a taken handle is the unique violation', async () => {
    const ann = await signUp('ann@x.example');
    const bob = await signUp('bob@x.example');
    expect(await updateProfile(db, ann.id, { name: ' Ann B ', handle: 'annie' })).toEqual({
      ...ann,
      name: 'Ann B',
      handle: 'annie',
    });
    const error = await updateProfile(db, bob.id, { handle: 'annie' }).catch((e: unknown) => e);
    expect(isUniqueViolation(error)).toBe(true);
  });
});
