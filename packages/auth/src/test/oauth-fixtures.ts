// What the OAuth sign-in tests arrange and read back: provider identities, people signed
// up with a password (verified or not) and every foothold they may hold, and the rows as
// stored.
import { isoNow } from '@trellis/db';
import type { TestDatabase } from '@trellis/db/testing';
import { beforeAll, expect } from 'vitest';
import { createApiToken } from '../api-tokens.js';
import { OAuthError, type OAuthFailure, type OAuthIdentity } from '../oauth/providers.js';
import { hashPassword } from '../passwords.js';
import { createSession } from '../sessions.js';
import { createPasswordUser } from '../users.js';
import { databaseForEachTest } from './database.js';

export const PASSWORD = 'correct horse battery staple';
export const T0 = new Date('2025-03-01T12:00:00.000Z');
export const LATER = new Date('2025-03-02T08:30:00.000Z');

/** A GitHub-style identity whose email the provider verified; override what a test needs. */
export function identity(overrides: Partial<OAuthIdentity> = {}): OAuthIdentity {
  return {
    subject: '583231',
    email: 'ada@example.com',
    emailVerified: true,
    name: 'Ada Lovelace',
    ...overrides,
  };
}

/** Asserts that `promise` rejects with an OAuthError of this kind. */
export async function expectOAuthFailure(promise: Promise<unknown>, failure: OAuthFailure) {
  let error: unknown;
  try {
    await promise;
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(OAuthError);
  expect((error as OAuthError).failure).toBe(failure);
}

/** A fresh database per test of the calling file (handed to `use`), and the fixtures over it. */
export function oauthFixtures(use: (fresh: TestDatabase) => void) {
  const db = databaseForEachTest(use);
  /** argon2 is slow on purpose: one hash for the whole file. */
  let hash: string;
  beforeAll(async () => {
    hash = await hashPassword(PASSWORD);
  });
  /** The stored hash of PASSWORD, as every password user here has. */
  const passwordHash = () => hash;

  /** Ada, signed up with a password, her email not verified (yet). */
  async function givenPasswordUser(email = 'ada@example.com') {
    return createPasswordUser(db(), { email, name: 'Ada (password)', passwordHash: hash }, T0);
  }

  /** Ada, signed up with a password, who proved she owns her email (verified at T0). */
  async function givenVerifiedPasswordUser(email = 'ada@example.com') {
    const user = await givenPasswordUser(email);
    // Arrange: the verification link's effect, written directly (the link's own tests
    // live with the auth router).
    await db()
      .updateTable('users')
      .set({ email_verified_at: T0.toISOString() })
      .where('id', '=', user.id)
      .execute();
    return user;
  }

  /** A workspace `ownerId` owns, written directly (workspaces are not this package's). */
  async function givenWorkspace(ownerId: string, slug: string) {
    const id = `ws-${slug}`;
    await db()
      .insertInto('workspaces')
      .values({ id, name: slug, slug, created_at: isoNow(T0), updated_at: isoNow(T0) })
      .execute();
    await db()
      .insertInto('memberships')
      .values({ workspace_id: id, user_id: ownerId, role: 'owner', created_at: isoNow(T0) })
      .execute();
    return id;
  }

  /** Everything a person signed up with a password may hold: sessions, a trusted device, a
   * pending mailed link, and API tokens (one live, one already revoked). */
  async function givenFootholds(userId: string, slug: string) {
    const sessions = await Promise.all(
      ['laptop', 'phone'].map((ua) => createSession(db(), userId, { userAgent: ua }, { now: T0 })),
    );
    await db()
      .insertInto('trusted_devices')
      .values({
        id: `dev-${slug}`,
        user_id: userId,
        secret_hash: 'x'.repeat(64),
        created_at: isoNow(T0),
        last_used_at: isoNow(T0),
      })
      .execute();
    await db()
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
        db(),
        { workspaceId, name, scope: 'write', createdBy: userId, expiresAt: null },
        T0,
      );
    const live = await token('live');
    const alreadyRevoked = await token('revoked before');
    await db()
      .updateTable('api_tokens')
      .set({ revoked_at: isoNow(T0) })
      .where('id', '=', alreadyRevoked.info.id)
      .execute();
    return { sessions, workspaceId, apiToken: live, alreadyRevoked };
  }

  async function footholdCounts(userId: string) {
    const count = async (table: 'sessions' | 'trusted_devices' | 'email_tokens') =>
      (await db().selectFrom(table).select('id').where('user_id', '=', userId).execute()).length;
    return {
      sessions: await count('sessions'),
      trustedDevices: await count('trusted_devices'),
      emailTokens: await count('email_tokens'),
    };
  }

  async function apiTokenRows(userId: string) {
    return db()
      .selectFrom('api_tokens')
      .select(['name', 'revoked_at'])
      .where('created_by', '=', userId)
      .orderBy('name')
      .execute();
  }

  async function users() {
    return db().selectFrom('users').selectAll().orderBy('created_at').orderBy('id').execute();
  }

  async function links() {
    return db()
      .selectFrom('oauth_accounts')
      .selectAll()
      .orderBy('provider')
      .orderBy('subject')
      .execute();
  }

  return {
    passwordHash,
    givenPasswordUser,
    givenVerifiedPasswordUser,
    givenWorkspace,
    givenFootholds,
    footholdCounts,
    apiTokenRows,
    users,
    links,
  };
}
