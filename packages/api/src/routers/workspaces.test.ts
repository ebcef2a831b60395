import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fieldErrorsOf } from '../errors.js';
import { createHarness, type Harness, rejection } from '../test/harness.js';

let harness: Harness;

beforeEach(async () => {
  harness = await createHarness();
});

afterEach(async () => {
  await harness.destroy();
});

/** The memberships of a workspace as stored, by user. */
function membershipsOf(workspaceId: string) {
  return harness.db
    .selectFrom('memberships')
    .select(['user_id', 'role'])
    .where('workspace_id', '=', workspaceId)
    .orderBy('user_id')
    .execute();
}

/** An owner with a workspace, and a second user who is its admin. */
async function workspaceWithAdmin() {
  const owner = await harness.signUpUser('Olive Owner');
  const admin = await harness.signUpUser('Adam Admin');
  const workspace = await owner.api.workspaces.create({ name: 'Acme', slug: 'acme' });
  await harness.addMember(workspace.id, admin.user.id, 'admin');
  return { owner, admin, workspace };
}

describe('workspaces.create', () => {
  it('creates the workspace and makes the caller its owner', async () => {
    const { api, user } = await harness.signUpUser();

    const workspace = await api.workspaces.create({ name: '  Acme Corp ', slug: 'acme-corp' });

    expect(workspace).toEqual({
      id: expect.any(String),
      name: 'Acme Corp',
      slug: 'acme-corp',
      role: 'owner',
      createdAt: expect.any(String),
      updatedAt: workspace.createdAt,
    });
    expect(await membershipsOf(workspace.id)).toEqual([{ user_id: user.id, role: 'owner' }]);
    expect(await api.workspaces.get({ workspaceId: workspace.id })).toEqual(workspace);
  });

  it('refuses a slug that is already taken, even by another user', async () => {
    const ada = await harness.signUpUser('Ada');
    const grace = await harness.signUpUser('Grace');
    await ada.api.workspaces.create({ name: 'Acme', slug: 'acme' });

    const error = await rejection(
      grace.api.workspaces.create({ name: 'Other Acme', slug: 'acme' }),
    );

    expect(error.code).toBe('CONFLICT');
    const rows = await harness.db.selectFrom('workspaces').select('name').execute();
    expect(rows).toEqual([{ name: 'Acme' }]);
    expect(await grace.api.workspaces.list()).toEqual([]);
  });

  it.each([
    ['with a space and capitals', 'Bad Slug'],
    ['one character long', 'a'],
    ['starting with a hyphen', '-x'],
    ['ending with a hyphen', 'x-'],
    ['with a double hyphen', 'a--b'],
    ['49 characters long', 'a'.repeat(49)],
  ])('refuses a slug %s, naming the slug field', async (_, slug) => {
    const { api } = await harness.signUpUser();

    const error = await rejection(api.workspaces.create({ name: 'Acme', slug }));

    expect(error.code).toBe('BAD_REQUEST');
    expect(Object.keys(fieldErrorsOf(error.cause) ?? {})).toEqual(['slug']);
    expect(await harness.db.selectFrom('workspaces').select('id').execute()).toEqual([]);
  });

  it('refuses a blank name, naming the name field', async () => {
    const { api } = await harness.signUpUser();

    const error = await rejection(api.workspaces.create({ name: '   ', slug: 'acme' }));

    expect(error.code).toBe('BAD_REQUEST');
    expect(Object.keys(fieldErrorsOf(error.cause) ?? {})).toEqual(['name']);
  });

  it.each([
    ['a NUL byte', 'Acme\u0000Corp'],
    ['a newline', 'Acme\nCorp'],
    ['a lone surrogate', 'Acme\uD800'],
  ])('refuses a name with %s', async (_label, name) => {
    const { api } = await harness.signUpUser();

    const error = await rejection(api.workspaces.create({ name, slug: 'acme' }));

    expect(error.code).toBe('BAD_REQUEST');
    expect(fieldErrorsOf(error.cause)).toEqual({ name: ['Must not contain control characters'] });
  });

  it('accepts a name with emoji and accents', async () => {
    const { api } = await harness.signUpUser();

    const workspace = await api.workspaces.create({ name: 'Café 🚀', slug: 'cafe' });

    expect(workspace.name).toBe('Café 🚀');
  });
});

describe('workspaces.list', () => {
  it('returns only the caller’s workspaces, each with the caller’s role', async () => {
    const ada = await harness.signUpUser('Ada');
    const grace = await harness.signUpUser('Grace');
    const first = await ada.api.workspaces.create({ name: 'First', slug: 'first' });
    const second = await ada.api.workspaces.create({ name: 'Second', slug: 'second' });
    const graces = await grace.api.workspaces.create({ name: 'Grace Co', slug: 'grace-co' });

    const adaList = await ada.api.workspaces.list();
    const graceList = await grace.api.workspaces.list();

    expect(adaList.map((w) => [w.id, w.role]).sort()).toEqual(
      [
        [first.id, 'owner'],
        [second.id, 'owner'],
      ].sort(),
    );
    expect(graceList).toEqual([graces]);
  });

  it('includes a workspace the caller was added to, with that role', async () => {
    const { admin, workspace } = await workspaceWithAdmin();

    const list = await admin.api.workspaces.list();

    expect(list).toEqual([{ ...workspace, role: 'admin' }]);
  });
});

describe('workspaces.get', () => {
  it('answers a non-member exactly as if the workspace did not exist', async () => {
    const owner = await harness.signUpUser('Owner');
    const stranger = await harness.signUpUser('Stranger');
    const workspace = await owner.api.workspaces.create({ name: 'Secret', slug: 'secret' });

    const hidden = await rejection(stranger.api.workspaces.get({ workspaceId: workspace.id }));
    const missing = await rejection(stranger.api.workspaces.get({ workspaceId: 'no-such-id' }));

    expect(hidden.code).toBe('NOT_FOUND');
    expect(missing.code).toBe('NOT_FOUND');
    expect(hidden.message).toBe(missing.message);
  });

  it('shows a member the workspace with their role', async () => {
    const { admin, workspace } = await workspaceWithAdmin();

    expect(await admin.api.workspaces.get({ workspaceId: workspace.id })).toEqual({
      ...workspace,
      role: 'admin',
    });
  });

  it('refuses a missing workspaceId, naming it', async () => {
    const { api } = await harness.signUpUser();

    // @ts-expect-error: workspaceId is required, and the server must insist too.
    const error = await rejection(api.workspaces.get({}));

    expect(error.code).toBe('BAD_REQUEST');
    expect(Object.keys(fieldErrorsOf(error.cause) ?? {})).toEqual(['workspaceId']);
  });

  it('refuses an unknown input key from a member', async () => {
    const { api } = await harness.signUpUser();
    const workspace = await api.workspaces.create({ name: 'Acme', slug: 'acme' });
    const input = { workspaceId: workspace.id, include: 'secrets' };

    const error = await rejection(api.workspaces.get(input));

    expect(error.code).toBe('BAD_REQUEST');
    expect(fieldErrorsOf(error.cause)).toEqual({ include: ['Unrecognized key'] });
  });
});

describe('workspaces.update', () => {
  it('lets the owner rename the workspace', async () => {
    const { owner, admin, workspace } = await workspaceWithAdmin();

    const updated = await owner.api.workspaces.update({
      workspaceId: workspace.id,
      name: ' Acme Industries ',
    });

    expect(updated).toEqual({
      ...workspace,
      name: 'Acme Industries',
      updatedAt: expect.any(String),
    });
    expect(updated.updatedAt >= workspace.updatedAt).toBe(true);
    expect(await admin.api.workspaces.get({ workspaceId: workspace.id })).toMatchObject({
      name: 'Acme Industries',
      role: 'admin',
    });
  });

  it('leaves the workspace as it is when no name is given', async () => {
    const { owner, workspace } = await workspaceWithAdmin();

    expect(await owner.api.workspaces.update({ workspaceId: workspace.id })).toEqual(workspace);
  });

  it('refuses an admin with FORBIDDEN and keeps the name', async () => {
    const { admin, workspace } = await workspaceWithAdmin();

    const error = await rejection(
      admin.api.workspaces.update({ workspaceId: workspace.id, name: 'Hijacked' }),
    );

    expect(error.code).toBe('FORBIDDEN');
    const row = await harness.db
      .selectFrom('workspaces')
      .select('name')
      .where('id', '=', workspace.id)
      .executeTakeFirst();
    expect(row).toEqual({ name: 'Acme' });
  });

  it('answers a non-member with NOT_FOUND', async () => {
    const { workspace } = await workspaceWithAdmin();
    const stranger = await harness.signUpUser('Stranger');

    const error = await rejection(
      stranger.api.workspaces.update({ workspaceId: workspace.id, name: 'Hijacked' }),
    );

    expect(error.code).toBe('NOT_FOUND');
  });
});

describe('workspaces.delete', () => {
  it('lets the owner delete the workspace, taking every membership with it', async () => {
    const { owner, admin, workspace } = await workspaceWithAdmin();
    const keep = await admin.api.workspaces.create({ name: 'Keep', slug: 'keep' });
    expect(await membershipsOf(workspace.id)).toHaveLength(2);

    expect(await owner.api.workspaces.delete({ workspaceId: workspace.id })).toEqual({ ok: true });

    const rows = await harness.db.selectFrom('workspaces').select('id').execute();
    expect(rows).toEqual([{ id: keep.id }]);
    expect(await membershipsOf(workspace.id)).toEqual([]);
    expect(await membershipsOf(keep.id)).toEqual([{ user_id: admin.user.id, role: 'owner' }]);
    const gone = await rejection(owner.api.workspaces.get({ workspaceId: workspace.id }));
    expect(gone.code).toBe('NOT_FOUND');
    expect(await admin.api.workspaces.list()).toEqual([keep]);
  });

  it('refuses an admin with FORBIDDEN and keeps the workspace', async () => {
    const { admin, workspace } = await workspaceWithAdmin();

    const error = await rejection(admin.api.workspaces.delete({ workspaceId: workspace.id }));

    expect(error.code).toBe('FORBIDDEN');
    expect(await membershipsOf(workspace.id)).toHaveLength(2);
  });

  it('answers a non-member with NOT_FOUND and keeps the workspace', async () => {
    const { workspace } = await workspaceWithAdmin();
    const stranger = await harness.signUpUser('Stranger');

    const error = await rejection(stranger.api.workspaces.delete({ workspaceId: workspace.id }));

    expect(error.code).toBe('NOT_FOUND');
    expect(await harness.db.selectFrom('workspaces').select('id').execute()).toEqual([
      { id: workspace.id },
    ]);
  });

  it('refuses a missing workspaceId, naming it', async () => {
    const { api } = await harness.signUpUser();

    // @ts-expect-error: workspaceId is required, and the server must insist too.
    const error = await rejection(api.workspaces.delete({}));

    expect(error.code).toBe('BAD_REQUEST');
    expect(Object.keys(fieldErrorsOf(error.cause) ?? {})).toEqual(['workspaceId']);
  });
});

describe('without a session', () => {
  it('answers every workspace procedure with UNAUTHORIZED', async () => {
    const { workspace } = await workspaceWithAdmin();
    const { api } = harness.caller();
    const workspaceId = workspace.id;

    const errors = await Promise.all([
      rejection(api.workspaces.create({ name: 'Anon', slug: 'anon' })),
      rejection(api.workspaces.list()),
      rejection(api.workspaces.get({ workspaceId })),
      rejection(api.workspaces.update({ workspaceId, name: 'Anon' })),
      rejection(api.workspaces.delete({ workspaceId })),
    ]);

    expect(errors.map((e) => e.code)).toEqual(Array(5).fill('UNAUTHORIZED'));
    expect(await harness.db.selectFrom('workspaces').select('name').execute()).toEqual([
      { name: 'Acme' },
    ]);
  });
});
