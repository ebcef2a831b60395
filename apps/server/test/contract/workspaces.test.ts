// The black-box contract of docs/api.md (../../../../docs/api.md) for workspaces, across tenants.
// A real server on a loopback port, spoken to over raw HTTP: nothing here loads the API's
// code; the answers' types come from @trellis/client as types only.
import { describe, expect, it } from 'vitest';
import { accountsOn } from '../support/accounts.js';
import { serveThisFile } from '../support/http.js';
import { dataOf, expectError, type Reply, type Workspace } from '../support/wire.js';

const wire = serveThisFile();
const { query, mutate } = wire;
const { signUp, createWorkspace } = accountsOn(wire);

describe('workspaces across tenants', () => {
  it('answers 404 NOT_FOUND to a non-member exactly as for a nonexistent id', async () => {
    const alice = await signUp('ws-alice');
    const bob = await signUp('ws-bob');
    const workspace = await createWorkspace(alice.token, 'Alice Inc');
    const missing = 'does-not-exist-0000';

    const pairs: [string, Reply, Reply][] = [
      [
        'workspaces.get',
        await query('workspaces.get', { workspaceId: workspace.id }, { token: bob.token }),
        await query('workspaces.get', { workspaceId: missing }, { token: bob.token }),
      ],
      [
        'workspaces.update',
        await mutate(
          'workspaces.update',
          { workspaceId: workspace.id, name: 'Pwned' },
          { token: bob.token },
        ),
        await mutate(
          'workspaces.update',
          { workspaceId: missing, name: 'Pwned' },
          { token: bob.token },
        ),
      ],
      [
        'workspaces.delete',
        await mutate('workspaces.delete', { workspaceId: workspace.id }, { token: bob.token }),
        await mutate('workspaces.delete', { workspaceId: missing }, { token: bob.token }),
      ],
    ];

    for (const [path, foreign, nonexistent] of pairs) {
      const error = expectError(foreign, 404, 'NOT_FOUND');
      expect(error.data.path).toBe(path);
      expect(nonexistent.status).toBe(404);
      expect(nonexistent.json).toEqual(foreign.json);
      expect(error.message).not.toContain(workspace.id);
      expect(error.message).not.toContain('Alice');
    }

    const stillThere = dataOf<Workspace>(
      await query('workspaces.get', { workspaceId: workspace.id }, { token: alice.token }),
    );
    expect(stillThere).toMatchObject({ id: workspace.id, name: 'Alice Inc', role: 'owner' });
    expect(
      dataOf<Workspace[]>(await query('workspaces.list', undefined, { token: bob.token })),
    ).toEqual([]);
  });

  it('lets the owner get, rename and delete the workspace', async () => {
    const owner = await signUp('ws-owner');
    const workspace = await createWorkspace(owner.token, 'Before');

    const renamed = dataOf<Workspace>(
      await mutate(
        'workspaces.update',
        { workspaceId: workspace.id, name: 'After' },
        { token: owner.token },
      ),
    );
    expect(renamed).toMatchObject({ id: workspace.id, name: 'After', role: 'owner' });

    expect(
      dataOf<unknown>(
        await mutate('workspaces.delete', { workspaceId: workspace.id }, { token: owner.token }),
      ),
    ).toEqual({ ok: true });
    expectError(
      await query('workspaces.get', { workspaceId: workspace.id }, { token: owner.token }),
      404,
      'NOT_FOUND',
    );
  });

  it('refuses a duplicate slug with 409 CONFLICT', async () => {
    const owner = await signUp('ws-slug');
    const workspace = await createWorkspace(owner.token);

    const reply = await mutate(
      'workspaces.create',
      { name: 'Copy', slug: workspace.slug },
      { token: owner.token },
    );

    expectError(reply, 409, 'CONFLICT');
  });

  it('refuses an unknown key on workspaces.get with 400 naming it', async () => {
    const owner = await signUp('ws-strict');
    const workspace = await createWorkspace(owner.token);

    const error = expectError(
      await query(
        'workspaces.get',
        { workspaceId: workspace.id, include: 'secrets' },
        { token: owner.token },
      ),
      400,
      'BAD_REQUEST',
    );

    expect(Object.keys(error.data.fieldErrors ?? {})).toEqual(['include']);
  });

  it('refuses a non-string workspaceId with 400 and fieldErrors.workspaceId', async () => {
    const owner = await signUp('ws-type');

    const error = expectError(
      await query('workspaces.get', { workspaceId: 42 }, { token: owner.token }),
      400,
      'BAD_REQUEST',
    );

    expect(Object.keys(error.data.fieldErrors ?? {})).toEqual(['workspaceId']);
  });
});
