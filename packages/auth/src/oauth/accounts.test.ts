// signInWithOAuthIdentity: a new identity, a returning one, racing first sign-ins, and
// failures.
import type { Database, Kysely } from '@trellis/db';
import { refuseInserts } from '@trellis/db/testing';
import { describe, expect, it } from 'vitest';
import { validateApiToken } from '../api-tokens.js';
import { identity, LATER, oauthFixtures, T0 } from '../test/oauth-fixtures.js';
import { authenticateWithPassword } from '../users.js';
import { signInWithOAuthIdentity } from './accounts.js';

let db: Kysely<Database>;
const { passwordHash, givenPasswordUser, givenFootholds, footholdCounts, users, links } =
  oauthFixtures((fresh) => {
    db = fresh.db;
  });

describe('signInWithOAuthIdentity: a new identity', () => {
  it('creates a password-less user and links the identity to it', async () => {
    const user = await signInWithOAuthIdentity(db, 'github', identity(), T0);

    expect(user).toEqual({
      id: user.id,
      email: 'ada@example.com',
      name: 'Ada Lovelace',
      handle: 'ada',
    });
    expect(await users()).toEqual([
      {
        id: user.id,
        email: 'ada@example.com',
        name: 'Ada Lovelace',
        handle: 'ada',
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
      password_hash: passwordHash(),
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
