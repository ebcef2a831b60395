// OpenID Connect sign-in end to end (../support/oidc-sign-in.ts: a real server, a real
// provider, a tiny browser walking every hop): which account a provider's identity
// signs in to: linking by verified email, the takeover of an account that never proved
// its address, unverified emails refused.
import type { RouterOutputs } from '@trellis/client';
import { describe, expect, it } from 'vitest';
import { Browser, setCookieFor } from '../support/browser.js';
import { expectErrorPage, oidcAccount, oidcSignInFile } from '../support/oidc-sign-in.js';
import { verifyEmailByMail } from '../support/server.js';
import { type AuthResult, dataOf, PASSWORD, type Workspace } from '../support/wire.js';

/** Provider accounts, one per scenario, so tests do not see each other's users. */
const ACCOUNTS = {
  linked: oidcAccount('linked', 'Linda Linker', { email: 'Linked@Example.COM' }),
  // The real owner of an address an attacker signed up with first (pre-hijack).
  victim: oidcAccount('victim', 'Victoria Owner', { email: 'victim@corp.example' }),
  unverified: oidcAccount('unverified', 'Mallory', { email_verified: false }),
  unverifiedNew: oidcAccount('unverified-new', 'Nobody', { email_verified: false }),
};

const oidc = oidcSignInFile(Object.values(ACCOUNTS));
const { signIn, me, signUpWithPassword, call, usersWithEmail, linksFor, sessionCount } = oidc;

describe('OpenID Connect sign-in against a real provider', () => {
  it('links to the existing account with the same verified email', async () => {
    const who = ACCOUNTS.linked; // Linked@Example.COM at the provider
    const userId = await signUpWithPassword('linked@example.com', 'Password Person');
    // The account proves it owns the address, from the mail: only then may an identity
    // link to it.
    await verifyEmailByMail(oidc.server, 'linked@example.com');
    const [verified] = await usersWithEmail('linked@example.com');
    const verifiedAt = verified?.email_verified_at;
    expect(verifiedAt).toEqual(expect.any(String));

    const browser = new Browser();
    const { callback } = await signIn(browser, who);
    expect(callback.status, callback.body).toBe(302);
    expect(await me(browser)).toMatchObject({
      id: userId,
      email: 'linked@example.com',
      // The existing account keeps its own name.
      name: 'Password Person',
    });

    const users = await usersWithEmail('linked@example.com');
    expect(users).toHaveLength(1);
    expect(users[0]?.password_hash).toEqual(expect.any(String));
    expect(users[0]?.email_verified_at).toBe(verifiedAt); // still verified, since then
    // Its password still signs in.
    dataOf(
      await call('auth.signIn', { input: { email: 'linked@example.com', password: PASSWORD } }),
    );
    expect(await linksFor(who.sub)).toEqual([
      expect.objectContaining({ user_id: userId, email: 'linked@example.com' }),
    ]);
  });

  it('hands an unverified account to the owner of its address, shutting the attacker out', async () => {
    // Mallory signs up with the victim's address, which she does not own: nothing checks
    // that she can read its mail. She makes a workspace and an API token for it.
    const who = ACCOUNTS.victim;
    const signedUp = dataOf<AuthResult>(
      await call('auth.signUp', {
        input: { email: who.email, password: PASSWORD, name: 'Victoria (not really)' },
      }),
    );
    const mallory = { userId: signedUp.user.id, session: signedUp.session.token };
    const workspace = dataOf<Workspace>(
      await call('workspaces.create', {
        token: mallory.session,
        input: { name: 'Corp planning', slug: 'corp-planning' },
      }),
    );
    const apiToken = dataOf<RouterOutputs['apiTokens']['create']>(
      await call('apiTokens.create', {
        token: mallory.session,
        input: { workspaceId: workspace.id, name: 'backdoor', scope: 'write' },
      }),
    ).token;
    const readWorkspace = `workspaces.get?input=${encodeURIComponent(
      JSON.stringify({ workspaceId: workspace.id }),
    )}`;
    dataOf(await call(readWorkspace, { token: apiToken })); // it works, for now
    // And an invite, as admin, for an address she does own: it carries this account's
    // authority, which is about to become the victim's.
    const invited = dataOf<RouterOutputs['members']['invite']>(
      await call('members.invite', {
        token: mallory.session,
        input: { workspaceId: workspace.id, email: 'mallory-alt@example.com', role: 'admin' },
      }),
    );

    // The real owner signs in through the issuer, which vouches for the address.
    const browser = new Browser();
    const { callback } = await signIn(browser, who);
    expect(callback.status, callback.body).toBe(302);

    // She takes the address over: the same account, now hers, under her name.
    const victim = await me(browser);
    expect(victim).toMatchObject({ id: mallory.userId, email: who.email, name: who.name });
    const [stored] = await usersWithEmail(who.email);
    expect(stored).toMatchObject({ password_hash: null, email_verified_at: expect.any(String) });
    expect(await linksFor(who.sub)).toEqual([
      expect.objectContaining({ user_id: mallory.userId, email: who.email }),
    ]);

    // Mallory has no way back in: not her password, her session, nor her API token.
    const signInAgain = await call('auth.signIn', {
      input: { email: who.email, password: PASSWORD },
    });
    expect(signInAgain.status, signInAgain.text).toBe(401);
    expect((await call('auth.me', { token: mallory.session })).status).toBe(401);
    expect((await call(readWorkspace, { token: apiToken })).status).toBe(401);
    const tokens = await oidc.server.db
      .selectFrom('api_tokens')
      .select(['name', 'revoked_at'])
      .where('created_by', '=', mallory.userId)
      .execute();
    expect(tokens).toEqual([{ name: 'backdoor', revoked_at: expect.any(String) }]);
    const pendingInvites = await oidc.server.db
      .selectFrom('invites')
      .select('id')
      .where('id', '=', invited.inviteId)
      .execute();
    expect(pendingInvites).toEqual([]);

    // The owner's own session works, and is the account's only one.
    expect(await me(browser)).toMatchObject({ id: mallory.userId });
    const sessions = await oidc.server.db
      .selectFrom('sessions')
      .select('id')
      .where('user_id', '=', mallory.userId)
      .execute();
    expect(sessions).toHaveLength(1);
  });

  it('refuses an unverified email that matches an existing account', async () => {
    const who = ACCOUNTS.unverified;
    const userId = await signUpWithPassword(who.email, 'The Real Owner');
    const sessionsBefore = await sessionCount();

    const browser = new Browser();
    const { callback } = await signIn(browser, who);
    expectErrorPage(callback, 400, /no verified email address/);
    expect(setCookieFor(callback, 'trellis_oauth')).toMatch(/Max-Age=0/);
    expect(browser.cookie(oidc.server.url, 'trellis_session')).toBeUndefined();

    expect(await linksFor(who.sub)).toEqual([]);
    expect(await sessionCount()).toBe(sessionsBefore);
    expect(await usersWithEmail(who.email)).toEqual([
      expect.objectContaining({ id: userId, name: 'The Real Owner' }),
    ]);
  });

  it('refuses an unverified email that matches no account, creating nobody', async () => {
    const who = ACCOUNTS.unverifiedNew;
    const browser = new Browser();
    const { callback } = await signIn(browser, who);
    expectErrorPage(callback, 400, /no verified email address/);
    expect(await usersWithEmail(who.email)).toEqual([]);
    expect(await linksFor(who.sub)).toEqual([]);
  });
});
