// signInWithOAuthIdentity with an email an account already has: linking when both sides
// proved it, the takeover of an account that never did, and an email the provider does not
// vouch for.
import type { Database, Kysely } from '@trellis/db';
import { describe, expect, it } from 'vitest';
import { validateApiToken } from '../api-tokens.js';
import { validateSessionToken } from '../sessions.js';
import {
  expectOAuthFailure,
  identity,
  LATER,
  oauthFixtures,
  PASSWORD,
  T0,
} from '../test/oauth-fixtures.js';
import { authenticateWithPassword } from '../users.js';
import { signInWithOAuthIdentity } from './accounts.js';

let db: Kysely<Database>;
const {
  passwordHash,
  givenPasswordUser,
  givenVerifiedPasswordUser,
  givenFootholds,
  footholdCounts,
  apiTokenRows,
  users,
  links,
} = oauthFixtures((fresh) => {
  db = fresh.db;
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
        password_hash: passwordHash(), // her password still works
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
    // The handle stays: it names the account, and mentions written with it keep working.
    expect(user).toEqual({
      id: mallory.id,
      email: 'ada@example.com',
      name: 'Ada Lovelace',
      handle: 'ada',
    });
    expect((await users()).find((u) => u.id === mallory.id)).toEqual({
      id: mallory.id,
      email: 'ada@example.com',
      name: 'Ada Lovelace',
      handle: 'ada',
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
