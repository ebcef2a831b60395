import type { Database, Kysely } from '@trellis/db';
import { isoNow } from '@trellis/db';
import { createTestDatabase, refuseInserts, type TestDatabase } from '@trellis/db/testing';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApiToken, validateApiToken } from '../api-tokens.js';
import { hashPassword } from '../passwords.js';
import { createSession, validateSessionToken } from '../sessions.js';
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

/** Ada, signed up with a password, her email not verified (yet). */
async function givenPasswordUser(email = 'ada@example.com') {
  return createPasswordUser(db, { email, name: 'Ada (password)', passwordHash }, T0);
}

/** Ada, signed up with a password, who proved she owns her email (verified at T0). */
async function givenVerifiedPasswordUser(email = 'ada@example.com') {
  const user = await givenPasswordUser(email);
  // Arrange: the verification link's effect, written directly (the link's own tests
  // live with the auth router).
  await db
    .updateTable('users')
    .set({ email_verified_at: T0.toISOString() })
    .where('id', '=', user.id)
    .execute();
  return user;
}

/** A workspace `ownerId` owns, written directly (workspaces are not this package's). */
async function givenWorkspace(ownerId: string, slug: string) {
  const id = `ws-${slug}`;
  await db
    .insertInto('workspaces')
    .values({ id, name: slug, slug, created_at: isoNow(T0), updated_at: isoNow(T0) })
    .execute();
  await db
    .insertInto('memberships')
    .values({ workspace_id: id, user_id: ownerId, role: 'owner', created_at: isoNow(T0) })
    .execute();
  return id;
}

/** Everything a person signed up with a password may hold: sessions, a trusted device, a
 * pending mailed link, and API tokens (one live, one already revoked). */
async function givenFootholds(userId: string, slug: string) {
  const sessions = await Promise.all(
    ['laptop', 'phone'].map((ua) => createSession(db, userId, { userAgent: ua }, { now: T0 })),
  );
  await db
    .insertInto('trusted_devices')
    .values({
      id: `dev-${slug}`,
      user_id: userId,
      secret_hash: 'x'.repeat(64),
      created_at: isoNow(T0),
      last_used_at: isoNow(T0),
    })
    .execute();
  await db
    .insertInto('email_tokens')
    .values({
      id: `mail-${slug}`,
      user_id: userId,
      purpose: 'change_email',
      email: `${slug}@attacker.example`,
      secret_hash: 'y'.repeat(64),
      created_at: isoNow(T0),
      expires_at: isoNow(LATER),
      used_at: null,
    })
    .execute();
  const workspaceId = await givenWorkspace(userId, slug);
  const token = async (name: string) =>
    createApiToken(
      db,
      { workspaceId, name, scope: 'write', createdBy: userId, expiresAt: null },
      T0,
    );
  const live = await token('live');
  const alreadyRevoked = await token('revoked before');
  await db
    .updateTable('api_tokens')
    .set({ revoked_at: isoNow(T0) })
    .where('id', '=', alreadyRevoked.info.id)
    .execute();
  return { sessions, workspaceId, apiToken: live, alreadyRevoked };
}

async function footholdCounts(userId: string) {
  const count = async (table: 'sessions' | 'trusted_devices' | 'email_tokens') =>
    (await db.selectFrom(table).select('id').where('user_id', '=', userId).execute()).length;
  return {
    sessions: await count('sessions'),
    trustedDevices: await count('trusted_devices'),
    emailTokens: await count('email_tokens'),
  };
}

async function apiTokenRows(userId: string) {
  return db
    .selectFrom('api_tokens')
    .select(['name', 'revoked_at'])
    .where('created_by', '=', userId)
    .orderBy('name')
    .execute();
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
        // The issuer vouched for the address.
        email_verified_at: T0.toISOString(),
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

  it('strips format characters (bidi overrides, zero-width) from the name', async () => {
    // U+202E would show "Ada\u202Egpj.exe" as "Adaexe.jpg"; U+200B, U+2066 and U+FEFF hide.
    const user = await signInWithOAuthIdentity(
      db,
      'github',
      identity({ name: '\u202EAda\u200B Love\u2066lace\u2069\uFEFF\u00AD' }),
      T0,
    );

    expect(user.name).toBe('Ada Lovelace');
    expect((await users())[0]?.name).toBe('Ada Lovelace');
  });

  it('names the user after the email when the name is only format characters', async () => {
    const user = await signInWithOAuthIdentity(
      db,
      'github',
      identity({ name: '\u202E\u202D\u200F\u2060' }),
      T0,
    );

    expect(user.name).toBe('ada');
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
  it('links to the password user who has the email, when she verified it', async () => {
    const ada = await givenVerifiedPasswordUser('ada@example.com');
    const before = await givenFootholds(ada.id, 'ada');

    const user = await signInWithOAuthIdentity(
      db,
      'google',
      identity({ subject: 'g-1', email: 'ADA@example.com', name: 'Someone Else' }),
      LATER,
    );

    expect(user).toEqual(ada); // her own name, not the provider's
    expect(await users()).toEqual([
      expect.objectContaining({
        id: ada.id,
        password_hash: passwordHash, // her password still works
        email_verified_at: T0.toISOString(), // still verified, since she proved it
        updated_at: T0.toISOString(),
      }),
    ]);
    expect(await links()).toEqual([
      {
        provider: 'google',
        subject: 'g-1',
        user_id: ada.id,
        email: 'ada@example.com',
        created_at: LATER.toISOString(),
      },
    ]);
    // Nothing she had is touched.
    expect(await footholdCounts(ada.id)).toEqual({
      sessions: 2,
      trustedDevices: 1,
      emailTokens: 1,
    });
    expect(
      await validateSessionToken(db, before.sessions[0]?.token ?? '', { now: LATER }),
    ).not.toBeNull();
    expect(await validateApiToken(db, before.apiToken.token, LATER)).not.toBeNull();
  });

  it('hands an unverified account to the person the issuer vouches for (pre-hijack)', async () => {
    // Mallory signed up with Ada's address first, and holds every foothold she could.
    const mallory = await givenPasswordUser('ada@example.com');
    const held = await givenFootholds(mallory.id, 'mallory');
    // Bob's things are not Mallory's: the take-over leaves them alone.
    const bob = await givenVerifiedPasswordUser('bob@example.com');
    const bobs = await givenFootholds(bob.id, 'bob');

    const user = await signInWithOAuthIdentity(
      db,
      'google',
      identity({ subject: 'g-ada', email: 'Ada@Example.com', name: 'Ada \u202ELovelace' }),
      LATER,
    );

    // Ada takes the address over: the same account, under the issuer's name.
    expect(user).toEqual({ id: mallory.id, email: 'ada@example.com', name: 'Ada Lovelace' });
    expect((await users()).find((u) => u.id === mallory.id)).toEqual({
      id: mallory.id,
      email: 'ada@example.com',
      name: 'Ada Lovelace',
      password_hash: null,
      email_verified_at: LATER.toISOString(),
      created_at: T0.toISOString(),
      updated_at: LATER.toISOString(),
    });
    expect(await links()).toEqual([
      expect.objectContaining({ provider: 'google', subject: 'g-ada', user_id: mallory.id }),
    ]);

    // Mallory has no way back in.
    expect(await authenticateWithPassword(db, 'ada@example.com', PASSWORD)).toBeNull();
    for (const { token } of held.sessions) {
      expect(await validateSessionToken(db, token, { now: LATER })).toBeNull();
    }
    expect(await footholdCounts(mallory.id)).toEqual({
      sessions: 0,
      trustedDevices: 0,
      emailTokens: 0,
    });
    expect(await validateApiToken(db, held.apiToken.token, LATER)).toBeNull();
    expect(await apiTokenRows(mallory.id)).toEqual([
      { name: 'live', revoked_at: LATER.toISOString() },
      { name: 'revoked before', revoked_at: T0.toISOString() }, // its first revocation stands
    ]);

    // Bob keeps everything.
    expect(await footholdCounts(bob.id)).toEqual({
      sessions: 2,
      trustedDevices: 1,
      emailTokens: 1,
    });
    expect(
      await validateSessionToken(db, bobs.sessions[0]?.token ?? '', { now: LATER }),
    ).not.toBeNull();
    expect(await validateApiToken(db, bobs.apiToken.token, LATER)).not.toBeNull();
    expect((await authenticateWithPassword(db, 'bob@example.com', PASSWORD))?.id).toBe(bob.id);
  });

  it('signs the new owner in as before once she has taken the address over', async () => {
    const mallory = await givenPasswordUser('ada@example.com');
    const first = await signInWithOAuthIdentity(db, 'google', identity({ subject: 'g-ada' }), T0);
    await givenFootholds(first.id, 'ada-now'); // what Ada builds from here on

    const again = await signInWithOAuthIdentity(
      db,
      'google',
      identity({ subject: 'g-ada' }),
      LATER,
    );
    const elsewhere = await signInWithOAuthIdentity(db, 'github', identity(), LATER);

    expect(first.id).toBe(mallory.id);
    expect(again).toEqual(first);
    expect(elsewhere).toEqual(first); // now verified: a second provider links
    expect(await footholdCounts(first.id)).toEqual({
      sessions: 2,
      trustedDevices: 1,
      emailTokens: 1,
    });
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
  it('takes nothing over when linking fails (one transaction)', async () => {
    const mallory = await givenPasswordUser('ada@example.com');
    const held = await givenFootholds(mallory.id, 'mallory');
    await refuseInserts(db, 'oauth_accounts', 'links refused');

    const error = await signInWithOAuthIdentity(db, 'github', identity(), LATER).catch(
      (caught: unknown) => caught,
    );

    expect((error as Error).message).toContain('links refused');
    expect((await users())[0]).toMatchObject({
      id: mallory.id,
      name: 'Ada (password)',
      password_hash: passwordHash,
      email_verified_at: null,
    });
    expect(await footholdCounts(mallory.id)).toEqual({
      sessions: 2,
      trustedDevices: 1,
      emailTokens: 1,
    });
    expect(await validateApiToken(db, held.apiToken.token, LATER)).not.toBeNull();
  });

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
