import { describe, expect, it } from 'vitest';
import { fieldErrorsOf } from '../errors.js';
import { type Harness, harnessForEachTest, rejection } from '../test/harness.js';

// views.* rules that need roles to change under a view: what a member keeps of their
// views once demoted or gone, and who then manages a shared one. The HTTP contract of
// every rule is in apps/server/test/contract/views.test.ts.

let harness: Harness;

harnessForEachTest(new Date('2030-06-01T09:00:00.000Z'), (fresh) => {
  harness = fresh;
});

async function team() {
  const owner = await harness.signUpUser('Olive Owner');
  const { id: workspaceId } = await owner.api.workspaces.create({ name: 'Acme', slug: 'acme' });
  const member = await harness.signUpUser('Max Member');
  const admin = await harness.signUpUser('Ann Admin');
  await harness.addMember(workspaceId, member.user.id, 'member');
  await harness.addMember(workspaceId, admin.user.id, 'admin');
  return { owner, member, admin, workspaceId };
}

describe('views when roles change', () => {
  it('a member demoted to viewer may unshare or delete a shared view, not edit it shared', async () => {
    const { owner, member, workspaceId } = await team();
    const view = await member.api.views.create({
      workspaceId,
      name: 'Board',
      shared: true,
      filters: {},
    });
    await owner.api.members.updateRole({ workspaceId, userId: member.user.id, role: 'viewer' });
    const refused = await rejection(member.api.views.update({ viewId: view.id, name: 'B2' }));
    expect(refused.code).toBe('FORBIDDEN');
    const unshared = await member.api.views.update({ viewId: view.id, shared: false });
    expect(unshared.shared).toBe(false);
    expect((await member.api.views.update({ viewId: view.id, name: 'B3' })).name).toBe('B3');
    await member.api.views.delete({ viewId: view.id });
  });

  it('a member who leaves keeps their views: shared ones stay for admins to manage', async () => {
    const { owner, member, admin, workspaceId } = await team();
    const shared = await member.api.views.create({
      workspaceId,
      name: 'Board',
      shared: true,
      filters: { q: 'crash' },
    });
    const personal = await member.api.views.create({ workspaceId, name: 'Mine', filters: {} });
    await owner.api.members.remove({ workspaceId, userId: member.user.id });
    const seen = (await admin.api.views.list({ workspaceId })).map((view) => view.id);
    expect(seen).toEqual([shared.id]);
    expect((await rejection(admin.api.views.get({ viewId: personal.id }))).code).toBe('NOT_FOUND');
    // An admin may edit and delete it; nobody may unshare it but its owner.
    await admin.api.views.update({ viewId: shared.id, name: 'Old board' });
    const unshare = await rejection(admin.api.views.update({ viewId: shared.id, shared: false }));
    expect(unshare.code).toBe('FORBIDDEN');
    await admin.api.views.delete({ viewId: shared.id });
    // And they come back to their personal view if they return.
    await harness.addMember(workspaceId, member.user.id, 'member');
    expect((await member.api.views.get({ viewId: personal.id })).name).toBe('Mine');
  });
});

describe('a view’s project', () => {
  it('must be a project of the workspace, as tasks.list needs it', async () => {
    const { owner, workspaceId } = await team();
    const elsewhere = await owner.api.workspaces.create({ name: 'Else', slug: 'else' });
    const foreign = await owner.api.projects.create({
      workspaceId: elsewhere.id,
      name: 'Else',
      key: 'ELS',
    });
    const own = await owner.api.projects.create({ workspaceId, name: 'Own', key: 'OWN' });
    const refused = await rejection(
      owner.api.views.create({ workspaceId, name: 'Theirs', filters: { projectId: foreign.id } }),
    );
    expect(refused.code).toBe('BAD_REQUEST');
    expect(fieldErrorsOf(refused.cause)).toEqual({
      'filters.projectId': ['Must be a project of this workspace'],
    });
    const view = await owner.api.views.create({
      workspaceId,
      name: 'Ours',
      filters: { projectId: own.id },
    });
    const update = await rejection(
      owner.api.views.update({ viewId: view.id, filters: { projectId: foreign.id } }),
    );
    expect(update.code).toBe('BAD_REQUEST');
  });
});
