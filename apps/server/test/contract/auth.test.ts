// The black-box contract of docs/api.md (../../../../docs/api.md) for auth.*: sign-up, sign-in, me, sign-out, sessions, and how sessions are stored.
// A real server on a loopback port, spoken to over raw HTTP: nothing here loads the API's
// code; the answers' types come from @trellis/client as types only.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { accountsOn, uniqueEmail } from '../support/accounts.js';
import { serveThisFile } from '../support/http.js';
import {
  type AuthResult,
  dataOf,
  errorIn,
  expectError,
  type Me,
  PASSWORD,
  sessionCookies,
} from '../support/wire.js';

const wire = serveThisFile();
const { query, mutate, send, rawHttp } = wire;
const { signUp, signIn } = accountsOn(wire);

function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

describe('auth.signUp', () => {
  it('answers 200 with the user and a session token, and sets the session cookie', async () => {
    const email = uniqueEmail('signup');
    const before = Date.now();
    const reply = await mutate('auth.signUp', { email, password: PASSWORD, name: 'Ada Lovelace' });
    const result = dataOf<AuthResult>(reply);

    expect(result.user).toMatchObject({ id: expect.any(String), email, name: 'Ada Lovelace' });
    expect(result.session.token).toMatch(/^[a-z2-9]+\.[a-z2-9]+$/);
    const expiresAt = Date.parse(result.session.expiresAt);
    expect(expiresAt).toBeGreaterThan(before);

    const cookies = sessionCookies(reply);
    expect(cookies).toHaveLength(1);
    const [pair = '', ...attributes] = (cookies[0] ?? '').split(';').map((part) => part.trim());
    expect(pair).toBe(`trellis_session=${result.session.token}`);
    const names = attributes.map((attribute) => attribute.split('=')[0]?.toLowerCase());
    expect(names).toContain('httponly');
    expect(attributes).toContain('SameSite=Lax');
    expect(attributes).toContain('Path=/');
    const maxAge = attributes.find((attribute) => /^max-age=/i.test(attribute));
    expect(maxAge).toMatch(/^Max-Age=[1-9]\d*$/);
    expect(names).not.toContain('secure');
  });

  it('makes a token that authenticates auth.me by bearer and by cookie', async () => {
    const account = await signUp('me');

    const byBearer = dataOf<Me>(await query('auth.me', undefined, { token: account.token }));
    const byCookie = dataOf<Me>(await query('auth.me', undefined, { cookie: account.token }));

    expect(byBearer).toEqual({
      user: { ...account.user, emailVerified: expect.any(Boolean), hasPassword: true },
      workspaces: [],
    });
    expect(byCookie).toEqual(byBearer);
  });

  it('marks the cookie Secure, named __Host-trellis_session, when the request is not addressed to a loopback host', async () => {
    const reply = await rawHttp({
      method: 'POST',
      path: '/trpc/auth.signUp',
      headers: { host: 'trellis.example', 'content-type': 'application/json' },
      body: JSON.stringify({ email: uniqueEmail('secure'), password: PASSWORD, name: 'S' }),
    });

    expect(reply.status, reply.text).toBe(200);
    expect(sessionCookies(reply)).toEqual([]);
    const cookie =
      reply.headers.getSetCookie().find((value) => value.startsWith('__Host-trellis_session=')) ??
      '';
    expect(cookie.split(';').map((part) => part.trim())).toContain('Secure');
  });

  it('refuses a duplicate email in another letter case with 409 CONFLICT', async () => {
    const account = await signUp('dup');

    const reply = await mutate('auth.signUp', {
      email: account.email.toUpperCase(),
      password: PASSWORD,
      name: 'Again',
    });

    const error = expectError(reply, 409, 'CONFLICT');
    expect(error.data.path).toBe('auth.signUp');
    expect(sessionCookies(reply)).toEqual([]);
  });

  it('refuses a 9-character password with 400 and data.fieldErrors.password', async () => {
    const reply = await mutate('auth.signUp', {
      email: uniqueEmail('short'),
      password: '123456789',
      name: 'Shorty',
    });

    const error = expectError(reply, 400, 'BAD_REQUEST');
    expect(error.data.fieldErrors?.password).toEqual([expect.any(String)]);
    expect(Object.keys(error.data.fieldErrors ?? {})).toEqual(['password']);
  });

  it('refuses a 257-character password with 400 and data.fieldErrors.password', async () => {
    const reply = await mutate('auth.signUp', {
      email: uniqueEmail('long'),
      password: 'x'.repeat(257),
      name: 'Longy',
    });

    const error = expectError(reply, 400, 'BAD_REQUEST');
    expect(Object.keys(error.data.fieldErrors ?? {})).toEqual(['password']);
  });

  it('refuses unknown input keys with 400 naming each key in fieldErrors', async () => {
    const reply = await mutate('auth.signUp', {
      email: uniqueEmail('extra'),
      password: PASSWORD,
      name: 'Extra',
      isAdmin: true,
      role: 'owner',
    });

    const error = expectError(reply, 400, 'BAD_REQUEST');
    expect(error.data.fieldErrors).toEqual({
      isAdmin: [expect.any(String)],
      role: [expect.any(String)],
    });
    expect(error.message).toContain('isAdmin');
  });

  it('refuses a POST without body or content-type with 415', async () => {
    const reply = await send('/trpc/auth.signUp', { method: 'POST' });

    // The Content-Type of this answer is checked in 'request-level errors' below.
    expect(reply.status, reply.text).toBe(415);
    errorIn(reply.json, 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(sessionCookies(reply)).toEqual([]);
  });

  it('refuses a JSON null input with 400 and a field error on the whole input', async () => {
    const reply = await send('/trpc/auth.signUp', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: 'null',
    });

    const error = expectError(reply, 400, 'BAD_REQUEST');
    expect(Object.keys(error.data.fieldErrors ?? {})).toEqual(['']);
  });
});

describe('auth.signIn', () => {
  it('signs in with the email in any letter case', async () => {
    const account = await signUp('signin');

    const reply = await mutate('auth.signIn', {
      email: account.email.toUpperCase(),
      password: PASSWORD,
    });

    const result = dataOf<AuthResult>(reply);
    expect(result.user).toMatchObject(account.user);
    expect(result.session.token).not.toBe(account.token);
    expect(sessionCookies(reply)).toHaveLength(1);
  });

  it('answers a wrong password and an unknown email identically with 401', async () => {
    const account = await signUp('wrongpw');

    const wrongPassword = await mutate('auth.signIn', {
      email: account.email,
      password: 'not the password at all',
    });
    const unknownEmail = await mutate('auth.signIn', {
      email: uniqueEmail('nobody'),
      password: 'not the password at all',
    });

    const error = expectError(wrongPassword, 401, 'UNAUTHORIZED');
    expect(error.data.path).toBe('auth.signIn');
    expect(unknownEmail.status).toBe(wrongPassword.status);
    expect(unknownEmail.text).toBe(wrongPassword.text);
    expect(unknownEmail.headers.get('content-type')).toBe(
      wrongPassword.headers.get('content-type'),
    );
    expect(sessionCookies(wrongPassword)).toEqual([]);
    expect(sessionCookies(unknownEmail)).toEqual([]);
  });
});

describe('auth.me', () => {
  it('answers 401 UNAUTHORIZED without credentials', async () => {
    const error = expectError(await query('auth.me'), 401, 'UNAUTHORIZED');

    expect(error.data.path).toBe('auth.me');
  });

  it('answers 401 for a forged token of the right shape', async () => {
    const account = await signUp('forged');
    const [id = ''] = account.token.split('.');
    const forged = `${id}.${'a'.repeat(32)}`;

    expectError(await query('auth.me', undefined, { token: forged }), 401, 'UNAUTHORIZED');
  });

  it('answers 401 and clears the cookie for an invalid cookie', async () => {
    const reply = await query('auth.me', undefined, { cookie: 'garbage' });

    expectError(reply, 401, 'UNAUTHORIZED');
    const [cleared = ''] = sessionCookies(reply);
    expect(cleared).toMatch(/^trellis_session=;/);
    expect(cleared).toMatch(/Max-Age=0/);
  });
});

describe('auth.signOut and auth.signOutEverywhere', () => {
  it('signOut kills the token at once; other sessions live on', async () => {
    const account = await signUp('signout');
    const other = await signIn(account.email);

    const reply = await mutate('auth.signOut', {}, { token: account.token });

    expect(dataOf<unknown>(reply)).toEqual({ ok: true });
    const error = expectError(
      await query('auth.me', undefined, { token: account.token }),
      401,
      'UNAUTHORIZED',
    );
    expect(error.data.path).toBe('auth.me');
    expectError(await mutate('auth.signOut', {}, { token: account.token }), 401, 'UNAUTHORIZED');
    expect(dataOf<Me>(await query('auth.me', undefined, { token: other })).user).toMatchObject(
      account.user,
    );
  });

  it('signOut with a cookie from our own origin clears the cookie', async () => {
    const account = await signUp('signout-cookie');

    const reply = await mutate(
      'auth.signOut',
      {},
      { cookie: account.token, origin: `http://${wire.server.host}` },
    );

    expect(dataOf<unknown>(reply)).toEqual({ ok: true });
    const [cleared = ''] = sessionCookies(reply);
    expect(cleared).toMatch(/^trellis_session=;/);
    expect(cleared).toMatch(/Max-Age=0/);
    expectError(await query('auth.me', undefined, { cookie: account.token }), 401, 'UNAUTHORIZED');
  });

  it('signOutEverywhere reports how many sessions it revoked and kills them all', async () => {
    const account = await signUp('everywhere');
    const second = await signIn(account.email);
    const third = await signIn(account.email);
    const bystander = await signUp('bystander');

    const reply = await mutate('auth.signOutEverywhere', {}, { token: second });

    expect(dataOf<unknown>(reply)).toEqual({ revoked: 3 });
    for (const token of [account.token, second, third]) {
      expectError(await query('auth.me', undefined, { token }), 401, 'UNAUTHORIZED');
    }
    expect(
      dataOf<Me>(await query('auth.me', undefined, { token: bystander.token })).user,
    ).toMatchObject(bystander.user);
  });

  it('signOut refuses unknown input keys with 400', async () => {
    const account = await signUp('signout-strict');

    const error = expectError(
      await mutate('auth.signOut', { everywhere: true }, { token: account.token }),
      400,
      'BAD_REQUEST',
    );

    expect(Object.keys(error.data.fieldErrors ?? {})).toEqual(['everywhere']);
    expect(dataOf<Me>(await query('auth.me', undefined, { token: account.token })).user.id).toBe(
      account.user.id,
    );
  });
});

describe('auth.sessions', () => {
  it('revoking another user’s session answers 404 and leaves it alive', async () => {
    const alice = await signUp('sess-alice');
    const bob = await signUp('sess-bob');
    const [bobSessionId = ''] = bob.token.split('.');

    const reply = await mutate(
      'auth.sessions.revoke',
      { sessionId: bobSessionId },
      { token: alice.token },
    );

    expectError(reply, 404, 'NOT_FOUND');
    expect(dataOf<Me>(await query('auth.me', undefined, { token: bob.token })).user).toMatchObject(
      bob.user,
    );
  });
});

describe('session storage', () => {
  it('never stores a raw token or its secret; secret_hash is sha256 of the secret', async () => {
    const tokens: string[] = [];
    for (const tag of ['store-a', 'store-b', 'store-c']) {
      const account = await signUp(tag);
      tokens.push(account.token, await signIn(account.email), await signIn(account.email));
    }

    const rows = await wire.server.db.selectFrom('sessions').selectAll().execute();
    const dump = JSON.stringify(rows);

    expect(tokens).toHaveLength(9);
    for (const token of tokens) {
      const [id = '', secret = ''] = token.split('.');
      expect(id).not.toBe('');
      expect(secret.length).toBeGreaterThanOrEqual(16);
      expect(dump).not.toContain(token);
      expect(dump).not.toContain(secret);
      const row = rows.find((candidate) => candidate.id === id);
      expect(row, `no session row for ${id}`).toBeDefined();
      expect(row?.secret_hash).toBe(sha256Hex(secret));
    }
  });
});
