// The account's mail over real HTTP, with the real SMTP server each test server owns:
// the account procedures through /api/v1.
import { describe, expect, it } from 'vitest';
import {
  mailedToken,
  mailServers,
  NEW_PASSWORD,
  signIn,
  signUp,
  subjects,
} from '../support/mail-accounts.js';
import type { TestServer } from '../support/server.js';
import { dataOf, PASSWORD } from '../support/wire.js';

const { start } = mailServers();

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
