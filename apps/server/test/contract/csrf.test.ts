// The black-box contract of docs/api.md (../../../../docs/api.md) for cookie-authenticated mutations: the Origin check against CSRF.
// A real server on a loopback port, spoken to over raw HTTP: nothing here loads the API's
// code; the answers' types come from @trellis/client as types only.
import { describe, expect, it } from 'vitest';
import { accountsOn, unique } from '../support/accounts.js';
import { serveThisFile } from '../support/http.js';
import {
  dataOf,
  expectError,
  type Me,
  PASSWORD,
  type Reply,
  sessionCookies,
  type Workspace,
} from '../support/wire.js';

const wire = serveThisFile();
const { query, mutate } = wire;
const { signUp } = accountsOn(wire);

describe('cookie-authenticated mutations (CSRF)', () => {
  async function cookieCreate(cookie: string, headers: Record<string, string>): Promise<Reply> {
    return mutate('workspaces.create', { name: 'Csrf', slug: unique('csrf') }, { cookie, headers });
  }

  async function workspaceCount(token: string): Promise<number> {
    return dataOf<Workspace[]>(await query('workspaces.list', undefined, { token })).length;
  }

  it('refuses a foreign Origin with 403 FORBIDDEN and changes nothing', async () => {
    const account = await signUp('csrf-evil');

    const reply = await cookieCreate(account.token, { origin: 'https://evil.example' });

    const error = expectError(reply, 403, 'FORBIDDEN');
    expect(error.data.path).toBe('workspaces.create');
    expect(await workspaceCount(account.token)).toBe(0);
  });

  it('refuses a request with no Origin with 403 FORBIDDEN', async () => {
    const account = await signUp('csrf-none');

    expectError(await cookieCreate(account.token, {}), 403, 'FORBIDDEN');
    expect(await workspaceCount(account.token)).toBe(0);
  });

  it('accepts our own Origin with 200', async () => {
    const account = await signUp('csrf-same');

    const workspace = dataOf<Workspace>(
      await cookieCreate(account.token, { origin: `http://${wire.server.host}` }),
    );

    expect(workspace).toMatchObject({ name: 'Csrf', role: 'owner' });
    expect(await workspaceCount(account.token)).toBe(1);
  });

  it.each([
    ['the literal null origin', { origin: 'null' }],
    ['a look-alike host', { origin: 'http://127.0.0.1.evil.example' }],
    ['our host on another port', { origin: 'http://127.0.0.1:1' }],
    ['Sec-Fetch-Site: cross-site without Origin', { 'sec-fetch-site': 'cross-site' }],
  ])('refuses %s with 403', async (_label, headers) => {
    const account = await signUp('csrf-more');

    expectError(await cookieCreate(account.token, headers), 403, 'FORBIDDEN');
    expect(await workspaceCount(account.token)).toBe(0);
  });

  it('refuses a cross-site signOut, so the session survives', async () => {
    const account = await signUp('csrf-signout');

    const reply = await mutate(
      'auth.signOut',
      {},
      { cookie: account.token, origin: 'https://evil.example' },
    );

    expectError(reply, 403, 'FORBIDDEN');
    expect(
      dataOf<Me>(await query('auth.me', undefined, { token: account.token })).user,
    ).toMatchObject(account.user);
  });

  it('refuses a sign-in from a foreign Origin (login CSRF) with 403 and no cookie', async () => {
    const account = await signUp('csrf-login');

    const reply = await mutate(
      'auth.signIn',
      { email: account.email, password: PASSWORD },
      { origin: 'https://evil.example' },
    );

    expectError(reply, 403, 'FORBIDDEN');
    expect(sessionCookies(reply)).toEqual([]);
  });
});
