// Names other people see (a user's, a workspace's, a project's, an API token's) carry no
// invisible formatting: a right-to-left override (U+202E) makes the text after it display
// reversed, so `Ada\u202Egnp.exe` reads as `Adaexe.png` in every list that shows it.
// Spoken to over raw HTTP, through tRPC and REST.
import { describe, expect, it } from 'vitest';
import { serveThisFile } from './support/http.js';
import {
  type AuthResult,
  dataOf,
  expectError,
  PASSWORD,
  type Reply,
  type Workspace,
} from './support/wire.js';

const { send, mutate } = serveThisFile();

let accounts = 0;
async function signUp(name = 'Ada'): Promise<AuthResult> {
  accounts += 1;
  const email = `names-${accounts}@example.com`;
  return dataOf<AuthResult>(await mutate('auth.signUp', { email, password: PASSWORD, name }));
}

/** Names that look like something they are not once displayed. */
const DISGUISED = {
  'right-to-left override': 'Ada\u202Egnp.exe',
  'right-to-left isolate': 'Ada \u2067Admin\u2069',
  'left-to-right mark': '\u200EAda',
  'zero-width space': 'Ad\u200Bmin',
  'byte-order mark inside': 'Ada\uFEFFLovelace',
  'word joiner': 'Ada\u2060Lovelace',
};

/** Names in scripts and sequences that need the zero-width (non-)joiner, which stay allowed. */
const WRITTEN_WITH_JOINERS = ['Ada 👩‍💻', 'می‌خواهم', 'क्‍ष'];

function expectNameRefused(reply: Reply, what: string) {
  const error = expectError(reply, 400, 'BAD_REQUEST');
  expect(Object.keys(error.data.fieldErrors ?? {}), what).toEqual(['name']);
  expect(error.data.fieldErrors?.name?.join(' '), what).toMatch(/invisible formatting/);
}

describe('display names', () => {
  it.each(Object.entries(DISGUISED))('refuses a sign-up named with a %s', async (what, name) => {
    const reply = await mutate('auth.signUp', {
      email: `disguised-${accounts++}@example.com`,
      password: PASSWORD,
      name,
    });

    expectNameRefused(reply, what);
  });

  it('refuses the same in workspace, project and API token names, and on REST', async () => {
    const { session } = await signUp();
    const token = session.token;
    const name = DISGUISED['right-to-left override'];
    expectNameRefused(
      await mutate('workspaces.create', { name, slug: 'disguised' }, { token }),
      'ws',
    );

    const workspace = dataOf<Workspace>(
      await mutate('workspaces.create', { name: 'Acme', slug: 'acme-names' }, { token }),
    );
    const workspaceId = workspace.id;
    expectNameRefused(
      await mutate('workspaces.update', { workspaceId, name }, { token }),
      'rename',
    );
    expectNameRefused(
      await mutate('projects.create', { workspaceId, name, key: 'DIS' }, { token }),
      'project',
    );
    expectNameRefused(
      await mutate('apiTokens.create', { workspaceId, name, scope: 'read' }, { token }),
      'token',
    );

    const rest = await send('/api/v1/auth/sign-up', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'rest-names@example.com', password: PASSWORD, name }),
    });
    expect(rest.status).toBe(400);
    expect(rest.json).toMatchObject({ error: { code: 'BAD_REQUEST' } });
    expect(
      Object.keys((rest.json as { error: { fieldErrors: object } }).error.fieldErrors),
    ).toEqual(['name']);
  });

  it.each(WRITTEN_WITH_JOINERS)('accepts %s, written with a zero-width joiner', async (name) => {
    const { user } = await signUp(name);

    expect(user.name).toBe(name);
  });
});
