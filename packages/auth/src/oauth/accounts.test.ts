import type { Database, Kysely } from '@trellis/db';
import { createTestDatabase, refuseInserts, type TestDatabase } from '@trellis/db/testing';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashPassword } from '../passwords.js';
import { authenticateWithPassword, createPasswordUser } from '../users.js';
import { signInWithOAuthIdentity } from './accounts.js';
import { OAuthError, type OAuthFailure, type OAuthIdentity } from './providers.js';

const PASSWORD = 'correct horse battery staple';
const T0 = new Date('2025-03-01T12:00:00.000Z');
const LATER = new Date('2025-03-02T08:30:00.000Z');

/** argon2 is slow on purpose: one hash for the whole file. */
let passwordHash: string;

let testDb: TestDatabase;
let db: Kysely<Database>;

beforeAll(async () => {
  passwordHash = await hashPassword(PASSWORD);
});

beforeEach(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
});

afterEach(async () => {
  await testDb.destroy();
});

/** A GitHub-style identity whose email the provider verified; override what a test needs. */
function identity(overrides: Partial<OAuthIdentity> = {}): OAuthIdentity {
  return {
    subject: '583231',
    email: 'ada@example.com',
    emailVerified: true,
    name: 'Ada Lovelace',
    ...overrides,
  };
}

/** Ada, signed up with a password. */
async function givenPasswordUser(email = 'ada@example.com') {
  return createPasswordUser(db, { email, name: 'Ada (password)', passwordHash }, T0);
}

async function users() {
  return db.selectFrom('users').selectAll().orderBy('created_at').orderBy('id').execute();
}

async function links() {
  return db
    .selectFrom('oauth_accounts')
    .selectAll()
    .orderBy('provider')
    .orderBy('subject')
    .execute();
}

/** Asserts that `promise` rejects with an OAuthError of this kind. */
async function expectOAuthFailure(promise: Promise<unknown>, failure: OAuthFailure) {
  let error: unknown;
  try {
    await promise;
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(OAuthError);
  expect((error as OAuthError).failure).toBe(failure);
}

describe('signInWithOAuthIdentity: a new identity', () => {
  it('creates a password-less user and links the identity to it', async () => {
    const user = await signInWithOAuthIdentity(db, 'github', identity(), T0);

    expect(user).toEqual({ id: user.id, email: 'ada@example.com', name: 'Ada Lovelace' });
    expect(await users()).toEqual([
      {
        id: user.id,
        email: 'ada@example.com',
        name: 'Ada Lovelace',
        password_hash: null,
        created_at: T0.toISOString(),
        updated_at: T0.toISOString(),
      },
    ]);
    expect(await links()).toEqual([
      {
        provider: 'github',
        subject: '583231',
        user_id: user.id,
        email: 'ada@example.com',
        created_at: T0.toISOString(),
      },
    ]);
  });

  it('stores the email trimmed and lowercased', async () => {
    const user = await signInWithOAuthIdentity(
      db,
      'google',
      identity({ email: '  Ada.Lovelace@Example.COM ' }),
      T0,
    );

    expect(user.email).toBe('ada.lovelace@example.com');
    expect((await users())[0]?.email).toBe('ada.lovelace@example.com');
    expect((await links())[0]?.email).toBe('ada.lovelace@example.com');
  });

  it('gives an account created this way no password to sign in with', async () => {
    await signInWithOAuthIdentity(db, 'github', identity(), T0);

    expect(await authenticateWithPassword(db, 'ada@example.com', '')).toBeNull();
  });

  const unnamed: [string, string | null][] = [
    ['missing', null],
    ['empty', ''],
    ['blank', '   \t '],
    ['only control characters', '\u0000\u0007\u001b\u007f'],
  ];
  it.each(unnamed)(
    'names the user after the email local part when the name is %s',
    async (_label, name) => {
      const user = await signInWithOAuthIdentity(
        db,
        'github',
        identity({ name, email: 'Grace.Hopper@Navy.example' }),
        T0,
      );

      expect(user.name).toBe('grace.hopper');
      expect((await users())[0]?.name).toBe('grace.hopper');
    },
  );

  it('strips control characters from the name, and trims it', async () => {
    const user = await signInWithOAuthIdentity(
      db,
      'github',
      identity({ name: '  Ada\u0000 Love\u001b[31mlace\r\n\u0085 ' }),
      T0,
    );

    expect(user.name).toBe('Ada Love[31mlace');
    expect((await users())[0]?.name).toBe('Ada Love[31mlace');
  });

  it('keeps non-ASCII letters in the name', async () => {
    const user = await signInWithOAuthIdentity(
      db,
      'github',
      identity({ name: 'Zoë Ŝmith 李' }),
      T0,
    );

    expect(user.name).toBe('Zoë Ŝmith 李');
  });

  it('cuts an overlong name to 100 characters', async () => {
    const user = await signInWithOAuthIdentity(
      db,
      'github',
      identity({ name: 'A'.repeat(300) }),
      T0,
    );

    expect(user.name).toBe('A'.repeat(100));
  });
});

describe('signInWithOAuthIdentity: a returning identity', () => {
  it('signs in as the same user, writing nothing new', async () => {
    const first = await signInWithOAuthIdentity(db, 'github', identity(), T0);
    const usersBefore = await users();
    const linksBefore = await links();

    const again = await signInWithOAuthIdentity(db, 'github', identity(), LATER);

    expect(again).toEqual(first);
    expect(await users()).toEqual(usersBefore);
    expect(await links()).toEqual(linksBefore);
  });

  it('follows the link, not the email or name the provider now reports', async () => {
    const first = await signInWithOAuthIdentity(db, 'github', identity(), T0);

    const again = await signInWithOAuthIdentity(
      db,
      'github',
      identity({ email: 'ada@new-job.example', name: 'Countess of Lovelace' }),
      LATER,
    );

    expect(again).toEqual(first);
    expect(await users()).toHaveLength(1);
    expect(await links()).toHaveLength(1);
  });

  it('signs a linked identity in even when its email is no longer verified', async () => {
    const first = await signInWithOAuthIdentity(db, 'github', identity(), T0);

    const unverified = await signInWithOAuthIdentity(
      db,
      'github',
      identity({ emailVerified: false }),
      LATER,
    );
    const emailless = await signInWithOAuthIdentity(db, 'github', identity({ email: null }), LATER);

    expect(unverified).toEqual(first);
    expect(emailless).toEqual(first);
  });

  it('returns the user as it is now, not as it was when linked', async () => {
    const first = await signInWithOAuthIdentity(db, 'github', identity(), T0);
    await db.updateTable('users').set({ name: 'Ada L.' }).where('id', '=', first.id).execute();

    const again = await signInWithOAuthIdentity(db, 'github', identity(), LATER);

    expect(again).toEqual({ ...first, name: 'Ada L.' });
  });

  it('tells providers apart: the same subject at another provider is another identity', async () => {
    const atGithub = await signInWithOAuthIdentity(
      db,
      'github',
      identity({ email: 'ada@example.com' }),
      T0,
    );

    const atAcme = await signInWithOAuthIdentity(
      db,
      'acme',
      identity({ email: 'someone@acme.example' }),
      T0,
    );

    expect(atAcme.id).not.toBe(atGithub.id);
    expect((await links()).map((l) => [l.provider, l.subject])).toEqual([
      ['acme', '583231'],
      ['github', '583231'],
    ]);
  });
});

describe('signInWithOAuthIdentity: an existing account with the same email', () => {
  it('links a verified email to the password user who has it', async () => {
    const ada = await givenPasswordUser('ada@example.com');

    const user = await signInWithOAuthIdentity(
      db,
      'google',
      identity({ subject: 'g-1', email: 'ADA@example.com', name: 'Someone Else' }),
      LATER,
    );

    expect(user).toEqual(ada);
    expect(await users()).toHaveLength(1);
    expect((await users())[0]?.password_hash).toBe(passwordHash); // password still works
    expect(await links()).toEqual([
      {
        provider: 'google',
        subject: 'g-1',
        user_id: ada.id,
        email: 'ada@example.com',
        created_at: LATER.toISOString(),
      },
    ]);
  });

  it('links a second provider to the account the first one created', async () => {
    const first = await signInWithOAuthIdentity(db, 'github', identity(), T0);

    const second = await signInWithOAuthIdentity(db, 'google', identity({ subject: 'g-1' }), LATER);

    expect(second.id).toBe(first.id);
    expect(await users()).toHaveLength(1);
    expect((await links()).map((l) => l.user_id)).toEqual([first.id, first.id]);
  });
});

describe('signInWithOAuthIdentity: an email the provider does not vouch for', () => {
  it('refuses an unverified email, and writes nothing', async () => {
    await expectOAuthFailure(
      signInWithOAuthIdentity(db, 'github', identity({ emailVerified: false }), T0),
      'unverified_email',
    );

    expect(await users()).toEqual([]);
    expect(await links()).toEqual([]);
  });

  it('refuses an identity without an email, and writes nothing', async () => {
    await expectOAuthFailure(
      signInWithOAuthIdentity(db, 'github', identity({ email: null }), T0),
      'unverified_email',
    );

    expect(await users()).toEqual([]);
    expect(await links()).toEqual([]);
  });

  it('refuses an empty email even if marked verified', async () => {
    await expectOAuthFailure(
      signInWithOAuthIdentity(db, 'github', identity({ email: '' }), T0),
      'unverified_email',
    );

    expect(await users()).toEqual([]);
  });

  it("never links an unverified email to an existing user's account", async () => {
    const ada = await givenPasswordUser('ada@example.com');

    await expectOAuthFailure(
      signInWithOAuthIdentity(
        db,
        'acme',
        identity({ subject: 'mallory', email: 'ada@example.com', emailVerified: false }),
        T0,
      ),
      'unverified_email',
    );

    expect(await links()).toEqual([]);
    expect(await users()).toHaveLength(1);
    expect((await authenticateWithPassword(db, 'ada@example.com', PASSWORD))?.id).toBe(ada.id);
  });
});

describe('signInWithOAuthIdentity: racing first sign-ins', () => {
  it('resolves two concurrent first sign-ins of one identity to one user and one link', async () => {
    const [a, b] = await Promise.all([
      signInWithOAuthIdentity(db, 'github', identity(), T0),
      signInWithOAuthIdentity(db, 'github', identity(), T0),
    ]);

    expect(a.id).toBe(b?.id);
    expect(await users()).toHaveLength(1);
    expect(await links()).toHaveLength(1);
    expect((await links())[0]?.user_id).toBe(a.id);
  });

  it('resolves many concurrent first sign-ins the same way', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, () => signInWithOAuthIdentity(db, 'github', identity(), T0)),
    );

    expect(new Set(results.map((u) => u.id)).size).toBe(1);
    expect(await users()).toHaveLength(1);
    expect(await links()).toHaveLength(1);
  });
});

describe('signInWithOAuthIdentity: failures', () => {
  it('creates no user when linking it fails (one transaction)', async () => {
    // Make the database refuse the link, which is written after the new user.
    await refuseInserts(db, 'oauth_accounts', 'links refused');

    const error = await signInWithOAuthIdentity(db, 'github', identity(), T0).catch(
      (caught: unknown) => caught,
    );

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('links refused');
    expect(await users()).toEqual([]);
    expect(await links()).toEqual([]);
  });
});
