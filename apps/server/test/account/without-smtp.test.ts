// The account's mail over real HTTP, with the real SMTP server each test server owns:
// a server without SMTP_URL, in production and in development.
import { describe, expect, it } from 'vitest';
import { call, mailServers, me, NEW_PASSWORD, signUp } from '../support/mail-accounts.js';
import { tokenFromLink } from '../support/mailbox.js';
import { dataOf, expectError, type Me, PASSWORD } from '../support/wire.js';

const { start } = mailServers();

/** A log captured in memory, as JSON lines. */
function capturedLog() {
  let text = '';
  return {
    stream: {
      write(line: string) {
        text += line;
      },
    },
    lines: () =>
      text
        .split('\n')
        .filter(Boolean)
        .map(
          (line) => JSON.parse(line) as { level: number; msg: string; mail?: { links: string[] } },
        ),
  };
}

describe('without SMTP_URL', () => {
  it('in production: warns at start, signs up unverified, and the mail procedures answer 503 naming SMTP_URL', async () => {
    const log = capturedLog();
    const server = await start(
      { nodeEnv: 'production', smtpUrl: null, logLevel: 'warn' },
      { logStream: log.stream },
    );
    expect(log.lines().some((line) => line.level === 40 && line.msg.includes('SMTP_URL'))).toBe(
      true,
    );

    const person = await signUp(server);
    expect(dataOf<Me>(await me(server, person.token)).user.emailVerified).toBe(false);
    const answers = [
      await call(server, 'auth.requestPasswordReset', { email: person.email }),
      await call(server, 'auth.requestPasswordReset', {
        email: `unknown-${Date.now()}@example.com`,
      }),
      await call(server, 'auth.resendVerification', {}, { token: person.token }),
      await call(
        server,
        'auth.changeEmail',
        { newEmail: `n-${Date.now()}@example.com`, currentPassword: PASSWORD },
        { token: person.token },
      ),
    ];
    for (const answer of answers) {
      expect(expectError(answer, 503, 'SERVICE_UNAVAILABLE').message).toContain('SMTP_URL');
    }
    // Changing the password needs no mail.
    dataOf(
      await call(
        server,
        'auth.changePassword',
        { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
        { token: person.token },
      ),
    );
    expect(server.mailbox.mails).toEqual([]);
  });

  it('in development: writes each mail to the log with its link, which works', async () => {
    const log = capturedLog();
    const server = await start(
      { nodeEnv: 'development', smtpUrl: null, logLevel: 'info' },
      { logStream: log.stream },
    );
    const person = await signUp(server);
    const line = log
      .lines()
      .find((entry) => entry.msg.includes('mail not sent') && entry.msg.includes(person.email));
    expect(line?.level).toBe(30);
    const link = line?.mail?.links[0] as string;
    expect(line?.msg).toContain(link);
    expect(link).toMatch(/^https:\/\/trellis\.example\/verify-email#token=trv_/);
    dataOf(await call(server, 'auth.verifyEmail', { token: tokenFromLink(link) }));
    expect(dataOf<Me>(await me(server, person.token)).user.emailVerified).toBe(true);
    expect(server.mailbox.mails).toEqual([]);
  });
});
