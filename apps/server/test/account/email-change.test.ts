// The account's mail over real HTTP, with the real SMTP server each test server owns:
// email change: confirmation and notice mails, and what ends a pending change.
import { describe, expect, it } from 'vitest';
import {
  call,
  mailedToken,
  mailServers,
  me,
  NEW_PASSWORD,
  signIn,
  signUp,
  subjects,
} from '../support/mail-accounts.js';
import { tokenFromLink } from '../support/mailbox.js';
import { verifyEmailByMail } from '../support/server.js';
import { dataOf, expectError, type Me, PASSWORD } from '../support/wire.js';

const { start } = mailServers();

describe('email change', () => {
  it('mails a confirmation to the new address and a notice to the old; confirming switches the email', async () => {
    const server = await start();
    const person = await signUp(server);
    await verifyEmailByMail(server, person.email);
    const newEmail = `moved-${Date.now()}@example.com`;

    const noPassword = expectError(
      await call(server, 'auth.changeEmail', { newEmail }, { token: person.token }),
      400,
      'BAD_REQUEST',
    );
    expect(Object.keys(noPassword.data.fieldErrors ?? {})).toEqual(['currentPassword']);
    const wrong = expectError(
      await call(
        server,
        'auth.changeEmail',
        { newEmail, currentPassword: 'not my password' },
        { token: person.token },
      ),
      400,
      'BAD_REQUEST',
    );
    expect(wrong.data.fieldErrors).toEqual({ currentPassword: ['Wrong password'] });
    const same = expectError(
      await call(
        server,
        'auth.changeEmail',
        { newEmail: person.email.toUpperCase(), currentPassword: PASSWORD },
        { token: person.token },
      ),
      400,
      'BAD_REQUEST',
    );
    expect(Object.keys(same.data.fieldErrors ?? {})).toEqual(['newEmail']);

    // A reset link mailed to the old address before the change.
    dataOf(await call(server, 'auth.requestPasswordReset', { email: person.email }));
    const oldReset = await mailedToken(server, person.email, subjects.reset);

    dataOf(
      await call(
        server,
        'auth.changeEmail',
        { newEmail, currentPassword: PASSWORD },
        { token: person.token },
      ),
    );
    const confirm = await server.mailbox.waitFor({ to: newEmail, subject: subjects.confirmChange });
    expect(confirm.links[0]).toMatch(/^https:\/\/trellis\.example\/verify-email#token=trv_/);
    expect(confirm.text).toContain(person.email);
    const notice = await server.mailbox.waitFor({
      to: person.email,
      subject: subjects.changeNotice,
    });
    expect(notice.text).toContain(newEmail);
    expect(notice.text).not.toContain('token=');
    // Nothing changes until the new address confirms.
    expect(dataOf<Me>(await me(server, person.token)).user.email).toBe(person.email);

    const confirmed = await call(server, 'auth.verifyEmail', {
      token: tokenFromLink(confirm.links[0] as string),
    });
    expect(dataOf(confirmed)).toEqual({ ok: true, email: newEmail });
    expect(dataOf<Me>(await me(server, person.token)).user).toMatchObject({
      email: newEmail,
      emailVerified: true,
    });
    expect((await signIn(server, newEmail, PASSWORD)).status).toBe(200);
    expectError(await signIn(server, person.email, PASSWORD), 401, 'UNAUTHORIZED');
    // The old mailbox can no longer reset the password.
    expectError(
      await call(server, 'auth.resetPassword', { token: oldReset, newPassword: NEW_PASSWORD }),
      400,
      'BAD_REQUEST',
    );
  });

  // Someone who knew the password (or signed up with the address before its owner: a
  // pre-hijack) asks to move the account to their own address; the owner then does what
  // the notice says. The pending link must die, or it moves the account away later.
  it.each([
    ['a password reset from the mailbox', 'reset'],
    ['a password change', 'change'],
    ['signing out everywhere', 'everywhere'],
  ] as const)('ends a pending email change on %s', async (_what, how) => {
    const server = await start();
    const person = await signUp(server);
    await verifyEmailByMail(server, person.email);
    const attacker = `attacker-${how}-${Date.now()}@example.com`;
    dataOf(
      await call(
        server,
        'auth.changeEmail',
        { newEmail: attacker, currentPassword: PASSWORD },
        { token: person.token },
      ),
    );
    const pending = await mailedToken(server, attacker, subjects.confirmChange);

    if (how === 'reset') {
      dataOf(await call(server, 'auth.requestPasswordReset', { email: person.email }));
      const token = await mailedToken(server, person.email, subjects.reset);
      dataOf(await call(server, 'auth.resetPassword', { token, newPassword: NEW_PASSWORD }));
    } else if (how === 'change') {
      dataOf(
        await call(
          server,
          'auth.changePassword',
          { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
          { token: person.token },
        ),
      );
    } else {
      dataOf(await call(server, 'auth.signOutEverywhere', {}, { token: person.token }));
    }

    const used = expectError(
      await call(server, 'auth.verifyEmail', { token: pending }),
      400,
      'BAD_REQUEST',
    );
    expect(Object.keys(used.data.fieldErrors ?? {})).toEqual(['token']);
    const stillThere = await server.db
      .selectFrom('users')
      .select('email')
      .where('id', '=', person.id)
      .executeTakeFirstOrThrow();
    expect(stillThere.email).toBe(person.email);
  });

  it('a reset of an account that never proved its address also ends the API tokens and invites it made', async () => {
    const server = await start();
    // A squatter signs up with someone else's address and keeps ways back in.
    const squatter = await signUp(server);
    const workspace = dataOf<{ id: string }>(
      await call(
        server,
        'workspaces.create',
        { name: 'Squat', slug: `squat-${Date.now()}` },
        { token: squatter.token },
      ),
    );
    const apiToken = dataOf<{ token: string }>(
      await call(
        server,
        'apiTokens.create',
        { workspaceId: workspace.id, name: 'backdoor', scope: 'write' },
        { token: squatter.token },
      ),
    );
    const accomplice = `accomplice-${Date.now()}@example.com`;
    const invite = dataOf<{ inviteToken: string }>(
      await call(
        server,
        'members.invite',
        { workspaceId: workspace.id, email: accomplice, role: 'admin' },
        { token: squatter.token },
      ),
    );

    // The owner of the address resets the password from their mailbox.
    dataOf(await call(server, 'auth.requestPasswordReset', { email: squatter.email }));
    const token = await mailedToken(server, squatter.email, subjects.reset);
    dataOf(await call(server, 'auth.resetPassword', { token, newPassword: NEW_PASSWORD }));

    expectError(
      await call(server, 'workspaces.list', undefined, { token: apiToken.token, query: true }),
      401,
      'UNAUTHORIZED',
    );
    const helper = dataOf<{ session: { token: string } }>(
      await call(server, 'auth.signUp', { email: accomplice, password: PASSWORD, name: 'Acc' }),
    );
    await verifyEmailByMail(server, accomplice);
    const accepted = await call(
      server,
      'members.acceptInvite',
      { inviteToken: invite.inviteToken },
      { token: helper.session.token },
    );
    expectError(accepted, 404, 'NOT_FOUND');
  });

  it('answers 409 for a taken address when asked, and again when one is taken before confirming', async () => {
    const server = await start();
    const person = await signUp(server);
    const taken = await signUp(server);
    const conflict = expectError(
      await call(
        server,
        'auth.changeEmail',
        { newEmail: taken.email, currentPassword: PASSWORD },
        { token: person.token },
      ),
      409,
      'CONFLICT',
    );
    expect(conflict.message).toMatch(/already exists/);

    const wanted = `wanted-${Date.now()}@example.com`;
    dataOf(
      await call(
        server,
        'auth.changeEmail',
        { newEmail: wanted, currentPassword: PASSWORD },
        { token: person.token },
      ),
    );
    const token = await mailedToken(server, wanted, subjects.confirmChange);
    // Someone signs up with the address before the link is opened.
    await call(server, 'auth.signUp', { email: wanted, password: PASSWORD, name: 'Quick' });
    expectError(await call(server, 'auth.verifyEmail', { token }), 409, 'CONFLICT');
    expect(dataOf<Me>(await me(server, person.token)).user.email).toBe(person.email);
  });
});
