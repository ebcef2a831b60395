// Authority is re-checked where it is used, over real HTTP: an invite carries its inviter's
// right to invite, and an API token its creator's right to hold one. When that right is
// gone, the invite is withdrawn and the token revoked, for good.
import { createClient, isTrellisError } from '@trellis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer, verifyEmailByMail } from './support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

const PASSWORD = 'correct horse battery staple';
let seq = 0;

/** Signs up over HTTP and, unless told not to, verifies the address from the mail. */
async function signUp(name: string, { verify = true }: { verify?: boolean } = {}) {
  seq += 1;
  const email = `authority-${seq}@example.com`;
  const { user, session } = await createClient({ url: server.url }).auth.signUp.mutate({
    email,
    password: PASSWORD,
    name,
  });
  if (verify) await verifyEmailByMail(server, email);
  return { user, email, client: createClient({ url: server.url, token: session.token }) };
}

type Person = Awaited<ReturnType<typeof signUp>>;
type Role = 'owner' | 'admin' | 'member' | 'viewer';

/** A workspace owned by `owner`, with `others` joined through invites the owner sent. */
async function team(owner: Person, others: [Person, Role][] = []) {
  seq += 1;
  const { id } = await owner.client.workspaces.create.mutate({
    name: 'Team',
    slug: `team-${seq}`,
  });
  for (const [person, role] of others) {
    const { inviteToken } = await owner.client.members.invite.mutate({
      workspaceId: id,
      email: person.email,
      role,
    });
    await person.client.members.acceptInvite.mutate({ inviteToken });
  }
  return id;
}

async function errorOf(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isTrellisError(error)) throw new Error(`expected a Trellis error, got ${String(error)}`);
  return { code: error.data?.code, status: error.data?.httpStatus, message: error.message };
}

describe('an invite re-checks its inviter’s authority when accepted', () => {
  it('is refused and withdrawn for good once the admin who sent it is removed', async () => {
    const owner = await signUp('Olive Owner');
    const admin = await signUp('Adam Admin');
    const alternate = await signUp('Adam’s other address');
    const workspaceId = await team(owner, [[admin, 'admin']]);
    // The admin invites an address of their own as admin, then is removed.
    const { inviteToken, inviteId } = await admin.client.members.invite.mutate({
      workspaceId,
      email: alternate.email,
      role: 'admin',
    });
    await owner.client.members.remove.mutate({ workspaceId, userId: admin.user.id });

    const refused = await errorOf(alternate.client.members.acceptInvite.mutate({ inviteToken }));

    expect(refused).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    expect(refused.message).toMatch(/withdrawn/);
    const pending = await owner.client.members.invites.query({ workspaceId });
    expect(pending.map((invite) => invite.id)).not.toContain(inviteId);
    // A second try finds nothing, and the alternate never became a member.
    const again = await errorOf(alternate.client.members.acceptInvite.mutate({ inviteToken }));
    expect(again).toMatchObject({ code: 'NOT_FOUND', status: 404 });
    const members = await owner.client.members.list.query({ workspaceId });
    expect(members.map((m) => m.userId)).toEqual([owner.user.id]);
    expect(await alternate.client.workspaces.list.query()).toEqual([]);
  });

  it('is refused once its inviter is demoted below admin', async () => {
    const owner = await signUp('Olive Owner');
    const admin = await signUp('Adam Admin');
    const invitee = await signUp('Ivy Invitee');
    const workspaceId = await team(owner, [[admin, 'admin']]);
    const { inviteToken } = await admin.client.members.invite.mutate({
      workspaceId,
      email: invitee.email,
      role: 'member',
    });
    await owner.client.members.updateRole.mutate({
      workspaceId,
      userId: admin.user.id,
      role: 'member',
    });

    const refused = await errorOf(invitee.client.members.acceptInvite.mutate({ inviteToken }));

    expect(refused).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    expect(await owner.client.members.invites.query({ workspaceId })).toEqual([]);
  });

  it('refuses an owner invite whose inviter is no longer an owner, though still an admin', async () => {
    const owner = await signUp('Olive Owner');
    const coOwner = await signUp('Otto Co-owner');
    const invitee = await signUp('Ivy Invitee');
    const workspaceId = await team(owner, [[coOwner, 'owner']]);
    const { inviteToken } = await coOwner.client.members.invite.mutate({
      workspaceId,
      email: invitee.email,
      role: 'owner',
    });
    await owner.client.members.updateRole.mutate({
      workspaceId,
      userId: coOwner.user.id,
      role: 'admin',
    });

    const refused = await errorOf(invitee.client.members.acceptInvite.mutate({ inviteToken }));

    expect(refused).toMatchObject({ code: 'FORBIDDEN', status: 403 });
  });

  it('is accepted while its inviter still may invite that role', async () => {
    const owner = await signUp('Olive Owner');
    const admin = await signUp('Adam Admin');
    const invitee = await signUp('Ivy Invitee');
    const workspaceId = await team(owner, [[admin, 'owner']]);
    const { inviteToken } = await admin.client.members.invite.mutate({
      workspaceId,
      email: invitee.email,
      role: 'admin',
    });
    // Demoted from owner to admin: still allowed to invite an admin.
    await owner.client.members.updateRole.mutate({
      workspaceId,
      userId: admin.user.id,
      role: 'admin',
    });

    const joined = await invitee.client.members.acceptInvite.mutate({ inviteToken });

    expect(joined).toMatchObject({ workspaceId, userId: invitee.user.id, role: 'admin' });
  });
});

describe('an invite is accepted only by a verified address', () => {
  it('tells an unverified invitee to verify first, keeping the invite for afterwards', async () => {
    const owner = await signUp('Olive Owner');
    const invitee = await signUp('Ivy Invitee', { verify: false });
    const workspaceId = await team(owner);
    const { inviteToken, inviteId } = await owner.client.members.invite.mutate({
      workspaceId,
      email: invitee.email,
      role: 'member',
    });

    const refused = await errorOf(invitee.client.members.acceptInvite.mutate({ inviteToken }));

    expect(refused).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    expect(refused.message).toMatch(/verify your email address/i);
    expect(await invitee.client.workspaces.list.query()).toEqual([]);
    const pending = await owner.client.members.invites.query({ workspaceId });
    expect(pending.map((invite) => invite.id)).toEqual([inviteId]);

    // Once the address is proven, the same invite works.
    await verifyEmailByMail(server, invitee.email);
    const joined = await invitee.client.members.acceptInvite.mutate({ inviteToken });
    expect(joined).toMatchObject({ workspaceId, role: 'member' });
  });
});

describe('an API token is revoked for good when its creator loses the right to hold it', () => {
  /** Owner and admin in a workspace; the admin made a write token. */
  async function adminWithToken() {
    const owner = await signUp('Olive Owner');
    const admin = await signUp('Adam Admin');
    const workspaceId = await team(owner, [[admin, 'admin']]);
    const created = await admin.client.apiTokens.create.mutate({
      workspaceId,
      name: 'deploy bot',
      scope: 'write',
    });
    const bot = createClient({ url: server.url, token: created.token });
    await bot.workspaces.get.query({ workspaceId }); // it works
    return { owner, admin, workspaceId, created, bot };
  }

  /** The workspace's `api_token.revoked` entries, newest first. */
  async function revocations(owner: Person, workspaceId: string) {
    const { items } = await owner.client.activity.list.query({ workspaceId });
    return items.filter((entry) => entry.type === 'api_token.revoked');
  }

  it('stays revoked after a demotion, even when the creator is promoted again', async () => {
    const { owner, admin, workspaceId, created, bot } = await adminWithToken();
    const demote = { workspaceId, userId: admin.user.id, role: 'member' } as const;

    await owner.client.members.updateRole.mutate(demote);

    expect(await errorOf(bot.workspaces.get.query({ workspaceId }))).toMatchObject({
      code: 'UNAUTHORIZED',
      status: 401,
    });
    await owner.client.members.updateRole.mutate({ ...demote, role: 'admin' });
    expect(await errorOf(bot.workspaces.get.query({ workspaceId }))).toMatchObject({
      code: 'UNAUTHORIZED',
      status: 401,
    });
    const [listed] = await admin.client.apiTokens.list.query({ workspaceId });
    expect(listed).toMatchObject({ id: created.id, revokedAt: expect.any(String) });
    expect(await revocations(owner, workspaceId)).toEqual([
      expect.objectContaining({
        actor: { userId: owner.user.id, name: 'Olive Owner' },
        apiTokenId: null,
        data: {
          tokenId: created.id,
          name: 'deploy bot',
          createdBy: { userId: admin.user.id, name: 'Adam Admin' },
          reason: 'creator_role_changed',
        },
      }),
    ]);
  });

  it('is revoked when its creator is removed, and stays so if they rejoin as admin', async () => {
    const { owner, admin, workspaceId, created, bot } = await adminWithToken();

    await owner.client.members.remove.mutate({ workspaceId, userId: admin.user.id });
    const { inviteToken } = await owner.client.members.invite.mutate({
      workspaceId,
      email: admin.email,
      role: 'admin',
    });
    await admin.client.members.acceptInvite.mutate({ inviteToken });

    expect((await errorOf(bot.workspaces.get.query({ workspaceId }))).status).toBe(401);
    const [listed] = await owner.client.apiTokens.list.query({ workspaceId });
    expect(listed).toMatchObject({ id: created.id, revokedAt: expect.any(String) });
    const [entry] = await revocations(owner, workspaceId);
    expect(entry?.data).toMatchObject({ tokenId: created.id, reason: 'creator_removed' });
  });

  it('is revoked when its creator leaves the workspace', async () => {
    const { owner, admin, workspaceId, created, bot } = await adminWithToken();

    await admin.client.members.leave.mutate({ workspaceId });

    expect((await errorOf(bot.workspaces.get.query({ workspaceId }))).status).toBe(401);
    const [entry] = await revocations(owner, workspaceId);
    expect(entry).toMatchObject({
      actor: { userId: admin.user.id },
      data: { tokenId: created.id, reason: 'creator_left' },
    });
  });

  it('keeps working while its creator stays an admin or owner', async () => {
    const { owner, admin, workspaceId, bot } = await adminWithToken();
    const change = { workspaceId, userId: admin.user.id } as const;

    await owner.client.members.updateRole.mutate({ ...change, role: 'owner' });
    await owner.client.members.updateRole.mutate({ ...change, role: 'admin' });

    expect(await bot.workspaces.get.query({ workspaceId })).toMatchObject({ id: workspaceId });
    expect(await revocations(owner, workspaceId)).toEqual([]);
  });

  it('revokes only the demoted creator’s tokens, and only in that workspace', async () => {
    const { owner, admin, workspaceId, bot } = await adminWithToken();
    const ownersToken = await owner.client.apiTokens.create.mutate({
      workspaceId,
      name: 'owner bot',
      scope: 'read',
    });
    // The admin owns a workspace of their own, with a token there.
    const { id: ownWorkspace } = await admin.client.workspaces.create.mutate({
      name: 'Own',
      slug: `own-${seq}`,
    });
    const elsewhere = await admin.client.apiTokens.create.mutate({
      workspaceId: ownWorkspace,
      name: 'own bot',
      scope: 'read',
    });

    await owner.client.members.updateRole.mutate({
      workspaceId,
      userId: admin.user.id,
      role: 'viewer',
    });

    expect((await errorOf(bot.workspaces.get.query({ workspaceId }))).status).toBe(401);
    const ownerBot = createClient({ url: server.url, token: ownersToken.token });
    expect(await ownerBot.workspaces.get.query({ workspaceId })).toMatchObject({ id: workspaceId });
    const ownBot = createClient({ url: server.url, token: elsewhere.token });
    expect(await ownBot.workspaces.get.query({ workspaceId: ownWorkspace })).toMatchObject({
      id: ownWorkspace,
    });
  });
});
