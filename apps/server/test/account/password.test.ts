// The account's mail over real HTTP, with the real SMTP server each test server owns:
// password reset from a mailed link, and password change.

import { createServer, type Socket } from 'node:net';
import { createSession } from '@trellis/auth';
import { isoNow, newId } from '@trellis/db';
import { describe, expect, it } from 'vitest';
import {
  call,
  HOUR_MS,
  mailedToken,
  mailServers,
  me,
  NEW_PASSWORD,
  signIn,
  signUp,
  subjects,
} from '../support/mail-accounts.js';
import { type ReceivedMail, tokenFromLink } from '../support/mailbox.js';
import { verifyEmailByMail } from '../support/server.js';
import { dataOf, expectError, type Me, PASSWORD, type Reply } from '../support/wire.js';

const { start, advance } = mailServers();

describe('password reset', () => {
  it('answers a known and an unknown email identically, and mails only the known one', async () => {
    const server = await start();
    const person = await signUp(server);
    const unknown = `nobody-${Date.now()}@example.com`;
    const shape = (answer: Reply) => ({
      status: answer.status,
      body: answer.json,
      headers: [...answer.headers.entries()].filter(
        ([name]) => !['date', 'x-request-id'].includes(name),
      ),
    });
    const forUnknown = await call(server, 'auth.requestPasswordReset', { email: unknown });
    const forKnown = await call(server, 'auth.requestPasswordReset', { email: person.email });
    expect(forKnown.status).toBe(200);
    expect(shape(forUnknown)).toEqual(shape(forKnown));

    await server.mailbox.waitFor({ to: person.email, subject: subjects.reset });
    // A later mail to someone else has gone through the same queue; still nothing for `unknown`.
    await verifyEmailByMail(server, (await signUp(server)).email);
    expect(server.mailbox.mailsTo(unknown)).toEqual([]);
  });

  it('answers at once even when the SMTP server hangs: delivery happens in the background', async () => {
    // A mail server that accepts connections and never says a word.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const server = await start({ smtpUrl: `smtp://u:p@127.0.0.1:${port}` });
      const person = await signUp(server);
      const started = performance.now();
      const answer = await call(server, 'auth.requestPasswordReset', { email: person.email });
      expect(answer.status).toBe(200);
      // The greeting timeout is 10 s: an answer that waited for the mail would take that long.
      expect(performance.now() - started).toBeLessThan(8000);
      await expect.poll(() => sockets.size).toBeGreaterThan(0);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('sets the new password, ends every session, forgets trusted devices and verifies the email', async () => {
    const server = await start();
    const person = await signUp(server);
    const second = dataOf<{ session: { token: string } }>(
      await signIn(server, person.email, PASSWORD),
    );
    await server.db
      .insertInto('trusted_devices')
      .values({
        id: newId(),
        user_id: person.id,
        secret_hash: 'x',
        created_at: isoNow(),
        last_used_at: isoNow(),
      })
      .execute();

    dataOf(await call(server, 'auth.requestPasswordReset', { email: person.email.toUpperCase() }));
    const mail: ReceivedMail = await server.mailbox.waitFor({
      to: person.email,
      subject: subjects.reset,
    });
    expect(mail.links[0]).toMatch(/^https:\/\/trellis\.example\/reset-password#token=trp_/);
    const token = tokenFromLink(mail.links[0] as string);

    const tooShort = expectError(
      await call(server, 'auth.resetPassword', { token, newPassword: 'short' }),
      400,
      'BAD_REQUEST',
    );
    expect(Object.keys(tooShort.data.fieldErrors ?? {})).toEqual(['newPassword']);

    dataOf(await call(server, 'auth.resetPassword', { token, newPassword: NEW_PASSWORD }));
    expectError(await me(server, person.token), 401, 'UNAUTHORIZED');
    expectError(await me(server, second.session.token), 401, 'UNAUTHORIZED');
    const devices = await server.db
      .selectFrom('trusted_devices')
      .where('user_id', '=', person.id)
      .selectAll()
      .execute();
    expect(devices).toEqual([]);
    expectError(await signIn(server, person.email, PASSWORD), 401, 'UNAUTHORIZED');
    const back = dataOf<{ session: { token: string } }>(
      await signIn(server, person.email, NEW_PASSWORD),
    );
    expect(dataOf<Me>(await me(server, back.session.token)).user.emailVerified).toBe(true);

    const reused = expectError(
      await call(server, 'auth.resetPassword', { token, newPassword: 'yet another passphrase' }),
      400,
      'BAD_REQUEST',
    );
    expect(reused.data.fieldErrors?.token?.[0]).toMatch(/already been used/);
    expect((await signIn(server, person.email, NEW_PASSWORD)).status).toBe(200);
  });

  it('works for an hour, and only the newest link works', async () => {
    const server = await start();
    const person = await signUp(server);
    dataOf(await call(server, 'auth.requestPasswordReset', { email: person.email }));
    const first = await mailedToken(server, person.email, subjects.reset);
    dataOf(await call(server, 'auth.requestPasswordReset', { email: person.email }));
    const second = await mailedToken(server, person.email, subjects.reset, 1);
    expectError(
      await call(server, 'auth.resetPassword', { token: first, newPassword: NEW_PASSWORD }),
      400,
      'BAD_REQUEST',
    );

    advance(HOUR_MS + 1000);
    const expired = expectError(
      await call(server, 'auth.resetPassword', { token: second, newPassword: NEW_PASSWORD }),
      400,
      'BAD_REQUEST',
    );
    expect(expired.data.fieldErrors?.token?.[0]).toMatch(/expired/);
    expect((await signIn(server, person.email, PASSWORD)).status).toBe(200);
  });
});

describe('password change', () => {
  it('needs the current password, then ends the other sessions and keeps this one', async () => {
    const server = await start();
    const person = await signUp(server);
    const other = dataOf<{ session: { token: string } }>(
      await signIn(server, person.email, PASSWORD),
    );

    const wrong = expectError(
      await call(
        server,
        'auth.changePassword',
        { currentPassword: 'not my password', newPassword: NEW_PASSWORD },
        { token: person.token },
      ),
      400,
      'BAD_REQUEST',
    );
    expect(wrong.data.fieldErrors).toEqual({ currentPassword: ['Wrong password'] });
    const weak = expectError(
      await call(
        server,
        'auth.changePassword',
        { currentPassword: PASSWORD, newPassword: 'short' },
        { token: person.token },
      ),
      400,
      'BAD_REQUEST',
    );
    expect(Object.keys(weak.data.fieldErrors ?? {})).toEqual(['newPassword']);
    expect((await me(server, other.session.token)).status).toBe(200);

    const changed = await call(
      server,
      'auth.changePassword',
      { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
      { token: person.token },
    );
    expect(dataOf(changed)).toEqual({ revoked: 1 });
    expect((await me(server, person.token)).status).toBe(200);
    expectError(await me(server, other.session.token), 401, 'UNAUTHORIZED');
    expectError(await signIn(server, person.email, PASSWORD), 401, 'UNAUTHORIZED');
    expect((await signIn(server, person.email, NEW_PASSWORD)).status).toBe(200);
  });

  it('tells an account without a password to use a password reset', async () => {
    const server = await start();
    const id = newId();
    const email = `oidc-only-${Date.now()}@example.com`;
    await server.db
      .insertInto('users')
      .values({
        id,
        email,
        name: 'Olive',
        handle: `olive-${id.toLowerCase()}`,
        password_hash: null,
        email_verified_at: isoNow(),
        created_at: isoNow(),
        updated_at: isoNow(),
      })
      .execute();
    const { token } = await createSession(server.db, id);
    expect(dataOf<Me>(await me(server, token)).user).toMatchObject({
      hasPassword: false,
      emailVerified: true,
    });
    const refused = expectError(
      await call(
        server,
        'auth.changePassword',
        { currentPassword: 'anything', newPassword: NEW_PASSWORD },
        { token },
      ),
      400,
      'BAD_REQUEST',
    );
    expect(refused.data.fieldErrors?.currentPassword?.[0]).toMatch(/password reset/);

    // Such an account changes its email without a password.
    const newEmail = `olive-${Date.now()}@example.com`;
    dataOf(await call(server, 'auth.changeEmail', { newEmail }, { token }));
    dataOf(
      await call(server, 'auth.verifyEmail', {
        token: await mailedToken(server, newEmail, subjects.confirmChange),
      }),
    );
    expect(dataOf<Me>(await me(server, token)).user.email).toBe(newEmail);
  });
});
