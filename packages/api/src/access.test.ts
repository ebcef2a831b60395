import { describe, expect, it } from 'vitest';
import { type AccessNeed, identify, type Principal, resolveWorkspaceAccess } from './access.js';
import { type Harness, harnessForEachTest } from './test/harness.js';

// The resolver on its own: which answer wins when several apply, and the exact messages
// (docs/api.md quotes them). Which caller gets which status on every procedure is the
// permission matrix's job (permissions.test.ts).

const START = new Date('2030-06-01T09:00:00.000Z');

let harness: Harness;

harnessForEachTest(START, (fresh) => {
  harness = fresh;
});

const READ: AccessNeed = { minRole: 'viewer', mutation: false, peopleOnly: false, label: 'Task' };

async function principalOf(token: string): Promise<Principal> {
  const principal = await identify(harness.db, { kind: 'bearer', token }, { now: START });
  if ('refused' in principal) throw new Error(principal.refused);
  return principal;
}

/** The refusal's code and message, or 'let in'. */
async function answer(principal: Principal, workspaceId: string | undefined, need: AccessNeed) {
  const access = await resolveWorkspaceAccess(harness.db, principal, workspaceId, need);
  return 'refused' in access ? `${access.refused.code}: ${access.refused.message}` : 'let in';
}

/** A workspace with a viewer, a read and a write token, and another workspace's token. */
async function world() {
  const owner = await harness.signUpUser('Olive Owner');
  const viewer = await harness.signUpUser('Vic Viewer');
  const workspace = await owner.api.workspaces.create({ name: 'Acme', slug: 'acme' });
  const workspaceId = workspace.id;
  await harness.addMember(workspaceId, viewer.user.id, 'viewer');
  const other = await owner.api.workspaces.create({ name: 'Other', slug: 'other' });
  const token = async (id: string, scope: 'read' | 'write') =>
    principalOf((await owner.api.apiTokens.create({ workspaceId: id, name: 'CI', scope })).token);
  return {
    owner,
    workspaceId,
    viewer: await principalOf(viewer.token),
    viewerId: viewer.user.id,
    outsider: await principalOf((await harness.signUpUser('Otto Outsider')).token),
    read: await token(workspaceId, 'read'),
    write: await token(workspaceId, 'write'),
    foreign: await token(other.id, 'write'),
  };
}

describe('resolveWorkspaceAccess', () => {
  it('answers NOT_FOUND, named by the label, before anything else', async () => {
    const { workspaceId, outsider, foreign } = await world();
    const strictest: AccessNeed = {
      minRole: 'owner',
      mutation: true,
      peopleOnly: true,
      label: 'Task',
    };
    expect(await answer(outsider, undefined, strictest)).toBe('NOT_FOUND: Task not found');
    expect(await answer(outsider, workspaceId, strictest)).toBe('NOT_FOUND: Task not found');
    expect(await answer(foreign, workspaceId, strictest)).toBe('NOT_FOUND: Task not found');
  });

  it('refuses tokens on people-only calls, then read tokens on mutations, then weak roles', async () => {
    const { workspaceId, read, write, viewer } = await world();
    const peopleOnly = { ...READ, peopleOnly: true, mutation: true };
    const tokensRefused = 'FORBIDDEN: This is for people only: API tokens cannot call it';
    expect(await answer(read, workspaceId, peopleOnly)).toBe(tokensRefused);
    const mutation = { ...READ, mutation: true, minRole: 'admin' as const };
    expect(await answer(read, workspaceId, mutation)).toBe(
      'FORBIDDEN: This API token is read-only',
    );
    expect(await answer(write, workspaceId, mutation)).toBe(
      'FORBIDDEN: This needs the admin role; you are member',
    );
    expect(await answer(viewer, workspaceId, { ...READ, minRole: 'member' })).toBe(
      'FORBIDDEN: This needs the member role; you are viewer',
    );
  });

  it('lets members and tokens in, with the role they act with and who acts', async () => {
    const { owner, workspaceId, viewer, viewerId, read, write } = await world();
    const seen = async (principal: Principal, need: AccessNeed = READ) => {
      const access = await resolveWorkspaceAccess(harness.db, principal, workspaceId, need);
      if ('refused' in access) throw access.refused;
      return { role: access.workspace.role, actor: access.actor };
    };
    const tokenId = (principal: Principal) =>
      principal.kind === 'apiToken' ? principal.grant.id : null;
    expect(await seen(viewer)).toEqual({
      role: 'viewer',
      actor: { userId: viewerId, apiTokenId: null },
    });
    expect(await seen(read)).toEqual({
      role: 'viewer',
      actor: { userId: owner.user.id, apiTokenId: tokenId(read) },
    });
    expect(await seen(write, { ...READ, mutation: true, minRole: 'member' })).toEqual({
      role: 'member',
      actor: { userId: owner.user.id, apiTokenId: tokenId(write) },
    });
  });
});

describe('identify', () => {
  it('says why a credential is refused, and takes API tokens from bearer headers only', async () => {
    const owner = await harness.signUpUser();
    const { id: workspaceId } = await owner.api.workspaces.create({ name: 'Acme', slug: 'acme' });
    const { token } = await owner.api.apiTokens.create({ workspaceId, name: 'CI', scope: 'read' });
    const at = { now: START };
    expect(await identify(harness.db, null, at)).toEqual({ refused: 'Sign in first' });
    expect(await identify(harness.db, { kind: 'cookie', token: `${owner.token}x` }, at)).toEqual({
      refused: 'Session expired or invalid',
    });
    expect(await identify(harness.db, { kind: 'cookie', token }, at)).toEqual({
      refused: 'API token revoked, expired or invalid',
    });
    expect(await identify(harness.db, { kind: 'bearer', token }, at)).toMatchObject({
      kind: 'apiToken',
      grant: { workspaceId, scope: 'read', createdBy: owner.user.id },
    });
    expect(await identify(harness.db, { kind: 'cookie', token: owner.token }, at)).toMatchObject({
      kind: 'user',
      user: { id: owner.user.id },
    });
  });
});
