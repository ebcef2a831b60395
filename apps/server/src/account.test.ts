import { createServer, type Socket } from 'node:net';
import { createSession, DEFAULT_RATE_LIMITS, type RateLimits } from '@trellis/auth';
import { isoNow, newId } from '@trellis/db';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerConfig } from './config.js';
import type { ServerDeps } from './server.js';
import { type ReceivedMail, tokenFromLink } from './test/mailbox.js';
import { startTestServer, type TestServer, verifyEmailByMail } from './test/server.js';

// The account's mail over real HTTP, with the real SMTP server each test server owns:
// verification at sign-up, password reset, password and email change, what happens to
// sessions, what an attacker can do with tokens and headers, the limits, and how a server
// without SMTP_URL behaves in development and production.

const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'a brand new passphrase';
const PUBLIC_URL = 'https://trellis.example';
const MAIL_FROM = 'Trellis Test <noreply@trellis.example>';
const HOUR_MS = 60 * 60 * 1000;

const servers: TestServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

let clockMs = Date.now();
/** Moves the clock every test server here reads. */
const advance = (ms: number) => {
  clockMs += ms;
};

async function start(
  overrides: Partial<ServerConfig> = {},
  deps: Omit<ServerDeps, 'db'> = {},
): Promise<TestServer> {
  clockMs = Date.now();
  const server = await startTestServer(
    { publicUrl: PUBLIC_URL, mailFrom: MAIL_FROM, ...overrides },
    { clock: () => new Date(clockMs), ...deps },
  );
  servers.push(server);
  return server;
}

interface Answer {
  status: number;
  headers: Headers;
  body: {
    result?: { data?: unknown };
    error?: { message: string; data: { code: string; fieldErrors?: Record<string, string[]> } };
  };
}

/** One tRPC call over HTTP (a mutation unless `query`). */
async function call(
  server: TestServer,
  path: string,
  input: unknown,
  options: { token?: string; headers?: Record<string, string>; query?: boolean } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = options.query
    ? await fetch(
        `${server.url}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input ?? {}))}`,
        { headers },
      )
    : await fetch(`${server.url}/trpc/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(input),
      });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Answer['body'],
  };
}

function dataOf<T>(answer: Answer): T {
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body.result?.data as T;
}

function errorOf(answer: Answer, status: number, code: string) {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  expect(answer.body.error?.data.code).toBe(code);
  return answer.body.error as NonNullable<Answer['body']['error']>;
}

interface Me {
  user: { id: string; email: string; name: string; emailVerified: boolean; hasPassword: boolean };
}

const me = (server: TestServer, token: string) =>
  call(server, 'auth.me', undefined, { token, query: true });

let seq = 0;
/** Signs up a fresh person over HTTP; returns their email, id and session token. */
async function signUp(server: TestServer, headers: Record<string, string> = {}) {
  seq += 1;
  const email = `person${seq}-${Date.now()}@example.com`;
  const answer = await call(
    server,
    'auth.signUp',
    { email, password: PASSWORD, name: `Person ${seq}` },
    { headers },
  );
  const { user, session } = dataOf<{ user: { id: string }; session: { token: string } }>(answer);
  return { email, id: user.id, token: session.token };
}

async function signIn(server: TestServer, email: string, password: string) {
  return call(server, 'auth.signIn', { email, password });
}

const subjects = {
  verify: 'Verify your email',
  reset: 'Reset your Trellis password',
  confirmChange: 'Confirm your new email',
  changeNotice: 'is being changed',
};

/** The token of the `nth` mail with this subject to `to`. */
async function mailedToken(server: TestServer, to: string, subject: string, nth = 0) {
  const mail = await server.mailbox.waitFor({ to, subject, nth });
  const [link] = mail.links;
  if (!link) throw new Error(`no link in ${mail.subject}`);
  return tokenFromLink(link);
}

/** Replaces the last character of a token's secret with another allowed one. */
function tamper(token: string): string {
  const last = token.at(-1);
  return `${token.slice(0, -1)}${last === 'a' ? 'b' : 'a'}`;
}

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
    const again = errorOf(await call(server, 'auth.verifyEmail', { token }), 400, 'BAD_REQUEST');
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
    const expired = errorOf(
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
      expect(errorOf(refusal, 400, 'BAD_REQUEST').data.fieldErrors?.token?.[0]).toMatch(
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

    const replaced = errorOf(
      await call(server, 'auth.verifyEmail', { token: first }),
      400,
      'BAD_REQUEST',
    );
    expect(replaced.data.fieldErrors?.token?.[0]).toMatch(/not valid/);
    dataOf(await call(server, 'auth.verifyEmail', { token: second }));
    const conflict = errorOf(
      await call(server, 'auth.resendVerification', {}, { token: person.token }),
      409,
      'CONFLICT',
    );
    expect(conflict.message).toMatch(/already verified/);
    expect(
      errorOf(await call(server, 'auth.resendVerification', {}), 401, 'UNAUTHORIZED'),
    ).toBeDefined();
  });
});

describe('password reset', () => {
  it('answers a known and an unknown email identically, and mails only the known one', async () => {
    const server = await start();
    const person = await signUp(server);
    const unknown = `nobody-${Date.now()}@example.com`;
    const shape = (answer: Answer) => ({
      status: answer.status,
      body: answer.body,
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

    const tooShort = errorOf(
      await call(server, 'auth.resetPassword', { token, newPassword: 'short' }),
      400,
      'BAD_REQUEST',
    );
    expect(Object.keys(tooShort.data.fieldErrors ?? {})).toEqual(['newPassword']);

    dataOf(await call(server, 'auth.resetPassword', { token, newPassword: NEW_PASSWORD }));
    errorOf(await me(server, person.token), 401, 'UNAUTHORIZED');
    errorOf(await me(server, second.session.token), 401, 'UNAUTHORIZED');
    const devices = await server.db
      .selectFrom('trusted_devices')
      .where('user_id', '=', person.id)
      .selectAll()
      .execute();
    expect(devices).toEqual([]);
    errorOf(await signIn(server, person.email, PASSWORD), 401, 'UNAUTHORIZED');
    const back = dataOf<{ session: { token: string } }>(
      await signIn(server, person.email, NEW_PASSWORD),
    );
    expect(dataOf<Me>(await me(server, back.session.token)).user.emailVerified).toBe(true);

    const reused = errorOf(
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
    errorOf(
      await call(server, 'auth.resetPassword', { token: first, newPassword: NEW_PASSWORD }),
      400,
      'BAD_REQUEST',
    );

    advance(HOUR_MS + 1000);
    const expired = errorOf(
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

    const wrong = errorOf(
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
    const weak = errorOf(
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
    errorOf(await me(server, other.session.token), 401, 'UNAUTHORIZED');
    errorOf(await signIn(server, person.email, PASSWORD), 401, 'UNAUTHORIZED');
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
    const refused = errorOf(
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

describe('email change', () => {
  it('mails a confirmation to the new address and a notice to the old; confirming switches the email', async () => {
    const server = await start();
    const person = await signUp(server);
    await verifyEmailByMail(server, person.email);
    const newEmail = `moved-${Date.now()}@example.com`;

    const noPassword = errorOf(
      await call(server, 'auth.changeEmail', { newEmail }, { token: person.token }),
      400,
      'BAD_REQUEST',
    );
    expect(Object.keys(noPassword.data.fieldErrors ?? {})).toEqual(['currentPassword']);
    const wrong = errorOf(
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
    const same = errorOf(
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
    errorOf(await signIn(server, person.email, PASSWORD), 401, 'UNAUTHORIZED');
    // The old mailbox can no longer reset the password.
    errorOf(
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

    const used = errorOf(
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

    errorOf(
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
    errorOf(accepted, 404, 'NOT_FOUND');
  });

  it('answers 409 for a taken address when asked, and again when one is taken before confirming', async () => {
    const server = await start();
    const person = await signUp(server);
    const taken = await signUp(server);
    const conflict = errorOf(
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
    errorOf(await call(server, 'auth.verifyEmail', { token }), 409, 'CONFLICT');
    expect(dataOf<Me>(await me(server, person.token)).user.email).toBe(person.email);
  });
});

describe('rate limits', () => {
  const limits: RateLimits = DEFAULT_RATE_LIMITS;

  it('limits reset mails per email and per client address with 429 and Retry-After', async () => {
    const server = await start({ rateLimits: limits });
    const email = `target-${Date.now()}@example.com`;
    const perEmail: Answer[] = [];
    for (let i = 0; i < 6; i += 1)
      perEmail.push(await call(server, 'auth.requestPasswordReset', { email }));
    expect(perEmail.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 429]);
    const limited = perEmail[5] as Answer;
    errorOf(limited, 429, 'TOO_MANY_REQUESTS');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(3600);

    advance(HOUR_MS);
    expect((await call(server, 'auth.requestPasswordReset', { email })).status).toBe(200);

    // 20 per address, whatever the emails (a fresh server: nothing counted yet).
    const fresh = await start({ rateLimits: limits });
    const others: number[] = [];
    for (let i = 0; i < 21; i += 1) {
      others.push(
        (
          await call(fresh, 'auth.requestPasswordReset', {
            email: `other${i}-${Date.now()}@example.com`,
          })
        ).status,
      );
    }
    expect(others).toEqual([...Array(20).fill(200), 429]);
  });

  it('lets the owner sign in right after a password reset, whatever failures were counted before', async () => {
    const server = await start({ rateLimits: limits });
    const person = await signUp(server);
    const failures: number[] = [];
    for (let i = 0; i < 11; i += 1) {
      failures.push((await signIn(server, person.email, `guess ${i}`)).status);
    }
    expect(failures).toEqual([...Array(10).fill(401), 429]);
    dataOf(await call(server, 'auth.requestPasswordReset', { email: person.email }));
    const token = await mailedToken(server, person.email, subjects.reset);
    dataOf(await call(server, 'auth.resetPassword', { token, newPassword: NEW_PASSWORD }));
    expect((await signIn(server, person.email, NEW_PASSWORD)).status).toBe(200);
  });

  it('limits verification mails per account and current-password checks per account', async () => {
    const server = await start({ rateLimits: limits });
    const person = await signUp(server);
    const resends: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      resends.push(
        (await call(server, 'auth.resendVerification', {}, { token: person.token })).status,
      );
    }
    expect(resends).toEqual([200, 200, 200, 200, 200, 429]);

    const checks: Answer[] = [];
    for (let i = 0; i < 11; i += 1) {
      checks.push(
        await call(
          server,
          'auth.changePassword',
          { currentPassword: `wrong ${i}`, newPassword: NEW_PASSWORD },
          { token: person.token },
        ),
      );
    }
    expect(checks.map((a) => a.status)).toEqual([...Array(10).fill(400), 429]);
    // Even the right password waits for the window now.
    const right = await call(
      server,
      'auth.changePassword',
      { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
      { token: person.token },
    );
    errorOf(right, 429, 'TOO_MANY_REQUESTS');
    expect(right.headers.get('retry-after')).toMatch(/^\d+$/);
    advance(10 * 60 * 1000);
    expect(
      dataOf(
        await call(
          server,
          'auth.changePassword',
          { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
          { token: person.token },
        ),
      ),
    ).toEqual({ revoked: 0 });
  });
});

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
      expect(errorOf(answer, 503, 'SERVICE_UNAVAILABLE').message).toContain('SMTP_URL');
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

describe('over REST', () => {
  async function rest(
    server: TestServer,
    method: string,
    path: string,
    body: unknown,
    token?: string,
  ) {
    const response = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('verifies, resets and changes through /api/v1', async () => {
    const server = await start();
    const person = await signUp(server);
    const verify = await mailedToken(server, person.email, subjects.verify);
    expect(await rest(server, 'POST', '/auth/verify-email', { token: verify })).toEqual({
      status: 200,
      body: { ok: true, email: person.email },
    });
    expect(
      await rest(server, 'POST', '/auth/request-password-reset', { email: person.email }),
    ).toEqual({ status: 200, body: { ok: true } });
    const reset = await mailedToken(server, person.email, subjects.reset);
    expect(
      await rest(server, 'POST', '/auth/reset-password', {
        token: reset,
        newPassword: NEW_PASSWORD,
      }),
    ).toEqual({ status: 200, body: { ok: true } });
    const { token } = dataOf<{ session: { token: string } }>(
      await signIn(server, person.email, NEW_PASSWORD),
    ).session;
    expect(
      await rest(
        server,
        'POST',
        '/me/password',
        { currentPassword: NEW_PASSWORD, newPassword: PASSWORD },
        token,
      ),
    ).toEqual({ status: 200, body: { revoked: 0 } });
    const wrong = await rest(
      server,
      'POST',
      '/me/email',
      { newEmail: 'x@example.com', currentPassword: NEW_PASSWORD },
      token,
    );
    expect(wrong).toMatchObject({
      status: 400,
      body: { error: { fieldErrors: { currentPassword: ['Wrong password'] } } },
    });
    const resend = await rest(server, 'POST', '/auth/resend-verification', {}, token);
    expect(resend).toMatchObject({ status: 409, body: { error: { code: 'CONFLICT' } } });
  });
});
