// The account's mail over real HTTP, with the real SMTP server each test server owns:
// verification at sign-up: the mailed link, its expiry, tampered and replaced tokens.
import { describe, expect, it } from 'vitest';
import {
  call,
  HOUR_MS,
  mailedToken,
  mailServers,
  me,
  NEW_PASSWORD,
  PUBLIC_URL,
  signIn,
  signUp,
  subjects,
  tamper,
} from '../support/mail-accounts.js';
import { tokenFromLink } from '../support/mailbox.js';
import { dataOf, expectError, type Me, PASSWORD } from '../support/wire.js';

const { start, advance } = mailServers();

describe('verification at sign-up', () => {
  it('mails a link on PUBLIC_URL from MAIL_FROM, in text and HTML, that verifies the account once', async () => {
    const server = await start();
    const person = await signUp(server);
    expect(dataOf<Me>(await me(server, person.token)).user).toMatchObject({
      email: person.email,
      emailVerified: false,
      hasPassword: true,
    });

    const mail = await server.mailbox.waitFor({ to: person.email, subject: subjects.verify });
    expect(mail.fromHeader).toContain('noreply@trellis.example');
    expect(mail.fromHeader).toContain('Trellis Test');
    expect(mail.from).toBe('noreply@trellis.example');
    expect(mail.links).toHaveLength(1);
    const link = mail.links[0] as string;
    expect(link).toMatch(/^https:\/\/trellis\.example\/verify-email#token=trv_[a-z0-9]+$/);
    expect(mail.text).toContain(person.email);
    expect(mail.html).toContain(`href="${link}"`);
    expect(mail.html).toMatch(/^<!doctype html>/);
    expect(mail.raw).toMatch(/Content-Type: multipart\/alternative/i);
    // The name was chosen by whoever signed up, maybe not the owner of the address: it
    // gets no line in a mail to that address.
    expect(mail.text).not.toContain('Person');
    expect(mail.html).not.toContain('Person');

    const token = tokenFromLink(link);
    expect(dataOf(await call(server, 'auth.verifyEmail', { token }))).toEqual({
      ok: true,
      email: person.email,
    });
    expect(dataOf<Me>(await me(server, person.token)).user.emailVerified).toBe(true);

    // Single use.
    const again = expectError(
      await call(server, 'auth.verifyEmail', { token }),
      400,
      'BAD_REQUEST',
    );
    expect(again.data.fieldErrors?.token?.[0]).toMatch(/already been used/);
    // Stored only as a hash.
    const rows = await server.db.selectFrom('email_tokens').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(token.slice(4 + 24));
  });

  it('refuses a link after 24 hours', async () => {
    const server = await start();
    const early = await signUp(server);
    const late = await signUp(server);
    const earlyToken = await mailedToken(server, early.email, subjects.verify);
    const lateToken = await mailedToken(server, late.email, subjects.verify);

    advance(24 * HOUR_MS - 1000);
    dataOf(await call(server, 'auth.verifyEmail', { token: earlyToken }));
    advance(2000);
    const expired = expectError(
      await call(server, 'auth.verifyEmail', { token: lateToken }),
      400,
      'BAD_REQUEST',
    );
    expect(expired.data.fieldErrors?.token?.[0]).toMatch(/expired/);
    expect(dataOf<Me>(await me(server, late.token)).user.emailVerified).toBe(false);
  });

  it('refuses tampered tokens and tokens of another purpose, which leave the right link usable', async () => {
    const server = await start();
    const person = await signUp(server);
    const verifyToken = await mailedToken(server, person.email, subjects.verify);
    dataOf(await call(server, 'auth.requestPasswordReset', { email: person.email }));
    const resetToken = await mailedToken(server, person.email, subjects.reset);
    expect(resetToken).toMatch(/^trp_/);

    const refusals = [
      await call(server, 'auth.verifyEmail', { token: tamper(verifyToken) }),
      await call(server, 'auth.verifyEmail', { token: resetToken }),
      // The reset token's body under the verification prefix: the stored purpose decides.
      await call(server, 'auth.verifyEmail', { token: `trv_${resetToken.slice(4)}` }),
      await call(server, 'auth.verifyEmail', { token: 'trv_nope' }),
      await call(server, 'auth.resetPassword', { token: verifyToken, newPassword: NEW_PASSWORD }),
      await call(server, 'auth.resetPassword', {
        token: `trp_${verifyToken.slice(4)}`,
        newPassword: NEW_PASSWORD,
      }),
      await call(server, 'auth.resetPassword', {
        token: tamper(resetToken),
        newPassword: NEW_PASSWORD,
      }),
    ];
    for (const refusal of refusals) {
      expect(expectError(refusal, 400, 'BAD_REQUEST').data.fieldErrors?.token?.[0]).toMatch(
        /not valid/,
      );
    }
    expect(dataOf<Me>(await me(server, person.token)).user.emailVerified).toBe(false);
    expect((await signIn(server, person.email, PASSWORD)).status).toBe(200);

    dataOf(await call(server, 'auth.verifyEmail', { token: verifyToken }));
    dataOf(
      await call(server, 'auth.resetPassword', { token: resetToken, newPassword: NEW_PASSWORD }),
    );
  });

  it('builds links on PUBLIC_URL whatever Host or X-Forwarded-Host the request carries', async () => {
    const server = await start({ trustProxy: true });
    const forged = {
      host: 'evil.example',
      'x-forwarded-host': 'evil.example',
      'x-forwarded-proto': 'http',
    };
    const person = await signUp(server, forged);
    dataOf(
      await call(server, 'auth.requestPasswordReset', { email: person.email }, { headers: forged }),
    );
    const verify = await server.mailbox.waitFor({ to: person.email, subject: subjects.verify });
    const reset = await server.mailbox.waitFor({ to: person.email, subject: subjects.reset });
    for (const mail of [verify, reset]) {
      expect(mail.links.every((link) => link.startsWith(`${PUBLIC_URL}/`))).toBe(true);
      expect(mail.raw).not.toContain('evil.example');
    }
  });

  it('mails a new link on request, which replaces the old one; a verified account gets 409', async () => {
    const server = await start();
    const person = await signUp(server);
    const first = await mailedToken(server, person.email, subjects.verify);
    dataOf(await call(server, 'auth.resendVerification', {}, { token: person.token }));
    const second = await mailedToken(server, person.email, subjects.verify, 1);
    expect(second).not.toBe(first);

    const replaced = expectError(
      await call(server, 'auth.verifyEmail', { token: first }),
      400,
      'BAD_REQUEST',
    );
    expect(replaced.data.fieldErrors?.token?.[0]).toMatch(/not valid/);
    dataOf(await call(server, 'auth.verifyEmail', { token: second }));
    const conflict = expectError(
      await call(server, 'auth.resendVerification', {}, { token: person.token }),
      409,
      'CONFLICT',
    );
    expect(conflict.message).toMatch(/already verified/);
    expect(
      expectError(await call(server, 'auth.resendVerification', {}), 401, 'UNAUTHORIZED'),
    ).toBeDefined();
  });
});
