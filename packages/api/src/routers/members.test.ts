import { describe, expect, it } from 'vitest';
import { type Harness, harnessForEachTest, rejection, type TestClock } from '../test/harness.js';
import { teamFixtures } from '../test/teams.js';

// Members and their roles; invites are in invites.test.ts.

const START = new Date('2030-06-01T09:00:00.000Z');
const MINUTE_MS = 60 * 1000;

let harness: Harness;
let clock: TestClock;

harnessForEachTest(START, (fresh, freshClock) => {
  harness = fresh;
  clock = freshClock;
});

const { rolesIn, invitesOf, team, twoOwners, invite } = teamFixtures(() => harness);

const iso = (ms: number) => new Date(ms).toISOString();

describe('members.list', () => {
  it('returns each member’s id, name, email, role and join time, longest-standing first', async () => {
    const owner = await harness.signUpUser('Olive Owner');
    const bea = await harness.signUpUser('Bea Later');
    const cal = await harness.signUpUser('Cal Earlier');
    const workspace = await owner.api.workspaces.create({ name: 'Acme', slug: 'acme' });
    // Inserted out of join order, so that neither insertion nor sign-up order passes.
    await harness.addMember(
      workspace.id,
      bea.user.id,
      'viewer',
      new Date(START.getTime() + 2 * MINUTE_MS),
    );
    await harness.addMember(
      workspace.id,
      cal.user.id,
      'admin',
      new Date(START.getTime() + MINUTE_MS),
    );

    const members = await bea.api.members.list({ workspaceId: workspace.id });

    expect(members).toEqual([
      {
        userId: owner.user.id,
        name: 'Olive Owner',
        email: owner.email,
        handle: owner.user.handle,
        role: 'owner',
        joinedAt: START.toISOString(),
      },
      {
        userId: cal.user.id,
        name: 'Cal Earlier',
        email: cal.email,
        handle: cal.user.handle,
        role: 'admin',
        joinedAt: iso(START.getTime() + MINUTE_MS),
      },
      {
        userId: bea.user.id,
        name: 'Bea Later',
        email: bea.email,
        handle: bea.user.handle,
        role: 'viewer',
        joinedAt: iso(START.getTime() + 2 * MINUTE_MS),
      },
    ]);
  });

  it('answers a non-member with NOT_FOUND', async () => {
    const { workspaceId } = await team();
    const stranger = await harness.signUpUser('Stranger');

    const error = await rejection(stranger.api.members.list({ workspaceId }));

    expect(error.code).toBe('NOT_FOUND');
  });
});

describe('members.updateRole', () => {
  it.each([
    ['member', 'viewer'],
    ['viewer', 'member'],
    ['member', 'admin'],
    ['viewer', 'admin'],
    ['admin', 'member'],
    ['admin', 'viewer'],
  ] as const)('lets an admin change a %s to %s', async (from, to) => {
    const { owner, admin, workspaceId } = await team();
    const target = await harness.signUpUser('Tess Target');
    await harness.addMember(workspaceId, target.user.id, from);

    const updated = await admin.api.members.updateRole({
      workspaceId,
      userId: target.user.id,
      role: to,
    });

    expect(updated).toEqual({
      userId: target.user.id,
      name: 'Tess Target',
      email: target.email,
      handle: target.user.handle,
      role: to,
      joinedAt: START.toISOString(),
    });
    expect(await rolesIn(workspaceId)).toMatchObject({
      [owner.user.id]: 'owner',
      [admin.user.id]: 'admin',
      [target.user.id]: to,
    });
  });

  it('refuses an admin making someone owner with FORBIDDEN', async () => {
    const { admin, member, workspaceId } = await team();

    const error = await rejection(
      admin.api.members.updateRole({ workspaceId, userId: member.user.id, role: 'owner' }),
    );

    expect(error.code).toBe('FORBIDDEN');
    expect((await rolesIn(workspaceId))[member.user.id]).toBe('member');
  });

  it('refuses an admin changing an owner with FORBIDDEN, even when another owner remains', async () => {
    const { coOwner, admin, workspaceId } = await twoOwners();

    const error = await rejection(
      admin.api.members.updateRole({ workspaceId, userId: coOwner.user.id, role: 'admin' }),
    );

    expect(error.code).toBe('FORBIDDEN');
    expect((await rolesIn(workspaceId))[coOwner.user.id]).toBe('owner');
  });

  it('lets an owner make someone owner', async () => {
    const { owner, admin, workspaceId } = await team();

    await owner.api.members.updateRole({ workspaceId, userId: admin.user.id, role: 'owner' });

    expect(await rolesIn(workspaceId)).toMatchObject({
      [owner.user.id]: 'owner',
      [admin.user.id]: 'owner',
    });
  });

  it('refuses to demote the last owner with CONFLICT, keeping the role', async () => {
    const { owner, workspaceId } = await team();

    const error = await rejection(
      owner.api.members.updateRole({ workspaceId, userId: owner.user.id, role: 'admin' }),
    );

    expect(error.code).toBe('CONFLICT');
    expect(error.message).toBe(
      'A workspace needs at least one owner; make someone else owner first',
    );
    expect((await rolesIn(workspaceId))[owner.user.id]).toBe('owner');
  });

  it('lets one of two owners demote the other', async () => {
    const { owner, coOwner, workspaceId } = await twoOwners();

    await owner.api.members.updateRole({ workspaceId, userId: coOwner.user.id, role: 'member' });

    expect(await rolesIn(workspaceId)).toMatchObject({
      [owner.user.id]: 'owner',
      [coOwner.user.id]: 'member',
    });
  });

  it('answers a user who is not a member, or does not exist, with NOT_FOUND', async () => {
    const { owner, workspaceId } = await team();
    const stranger = await harness.signUpUser('Stranger');
    const before = await rolesIn(workspaceId);

    const errors = await Promise.all([
      rejection(
        owner.api.members.updateRole({ workspaceId, userId: stranger.user.id, role: 'member' }),
      ),
      rejection(
        owner.api.members.updateRole({ workspaceId, userId: 'no-such-user', role: 'admin' }),
      ),
    ]);

    expect(errors.map((error) => error.code)).toEqual(['NOT_FOUND', 'NOT_FOUND']);
    expect(await rolesIn(workspaceId)).toEqual(before);
  });

  it('refuses a member with FORBIDDEN', async () => {
    const { member, viewer, workspaceId } = await team();

    const error = await rejection(
      member.api.members.updateRole({ workspaceId, userId: viewer.user.id, role: 'member' }),
    );

    expect(error.code).toBe('FORBIDDEN');
    expect((await rolesIn(workspaceId))[viewer.user.id]).toBe('viewer');
  });

  it('applies on the very next request: a demoted admin can no longer invite', async () => {
    const { owner, admin, workspaceId } = await team();
    await owner.api.members.updateRole({ workspaceId, userId: admin.user.id, role: 'member' });

    const error = await rejection(
      admin.api.members.invite({ workspaceId, email: 'grace@example.com', role: 'viewer' }),
    );

    expect(error.code).toBe('FORBIDDEN');
    expect(await invitesOf(workspaceId)).toEqual([]);
  });
});

describe('members.remove', () => {
  it('lets an admin remove a member, who then cannot see the workspace', async () => {
    const { admin, member, workspaceId } = await team();

    expect(await admin.api.members.remove({ workspaceId, userId: member.user.id })).toEqual({
      ok: true,
    });

    expect((await rolesIn(workspaceId))[member.user.id]).toBeUndefined();
    const error = await rejection(member.api.workspaces.get({ workspaceId }));
    expect(error.code).toBe('NOT_FOUND');
  });

  it('refuses to remove the last owner with CONFLICT, keeping the membership', async () => {
    const { owner, workspaceId } = await team();

    const error = await rejection(owner.api.members.remove({ workspaceId, userId: owner.user.id }));

    expect(error.code).toBe('CONFLICT');
    expect(error.message).toMatch(/at least one owner/);
    expect((await rolesIn(workspaceId))[owner.user.id]).toBe('owner');
  });

  it('refuses an admin removing an owner with FORBIDDEN, even when another owner remains', async () => {
    const { coOwner, admin, workspaceId } = await twoOwners();

    const error = await rejection(
      admin.api.members.remove({ workspaceId, userId: coOwner.user.id }),
    );

    expect(error.code).toBe('FORBIDDEN');
    expect((await rolesIn(workspaceId))[coOwner.user.id]).toBe('owner');
  });

  it('lets an owner remove another owner', async () => {
    const { owner, coOwner, workspaceId } = await twoOwners();

    await owner.api.members.remove({ workspaceId, userId: coOwner.user.id });

    expect((await rolesIn(workspaceId))[coOwner.user.id]).toBeUndefined();
  });

  it('answers a user who is not a member with NOT_FOUND', async () => {
    const { admin, workspaceId } = await team();
    const stranger = await harness.signUpUser('Stranger');
    const before = await rolesIn(workspaceId);

    const error = await rejection(
      admin.api.members.remove({ workspaceId, userId: stranger.user.id }),
    );

    expect(error.code).toBe('NOT_FOUND');
    expect(await rolesIn(workspaceId)).toEqual(before);
  });

  it('refuses a member with FORBIDDEN', async () => {
    const { member, viewer, workspaceId } = await team();

    const error = await rejection(
      member.api.members.remove({ workspaceId, userId: viewer.user.id }),
    );

    expect(error.code).toBe('FORBIDDEN');
    expect((await rolesIn(workspaceId))[viewer.user.id]).toBe('viewer');
  });
});

describe('members.leave', () => {
  it('lets a member leave', async () => {
    const { member, workspaceId } = await team();

    expect(await member.api.members.leave({ workspaceId })).toEqual({ ok: true });

    expect((await rolesIn(workspaceId))[member.user.id]).toBeUndefined();
    const error = await rejection(member.api.workspaces.get({ workspaceId }));
    expect(error.code).toBe('NOT_FOUND');
  });

  it('refuses the last owner with CONFLICT, keeping the membership', async () => {
    const { owner, workspaceId } = await team();

    const error = await rejection(owner.api.members.leave({ workspaceId }));

    expect(error.code).toBe('CONFLICT');
    expect((await rolesIn(workspaceId))[owner.user.id]).toBe('owner');
  });

  it('lets an owner leave when another owner remains', async () => {
    const { owner, coOwner, workspaceId } = await twoOwners();

    await owner.api.members.leave({ workspaceId });

    expect(await rolesIn(workspaceId)).toMatchObject({ [coOwner.user.id]: 'owner' });
    expect((await rolesIn(workspaceId))[owner.user.id]).toBeUndefined();
  });
});

describe('API tokens of a member who stops being an admin', () => {
  /** The team, and a write token the admin made. */
  async function teamWithAdminToken() {
    const made = await team();
    const { token, id } = await made.admin.api.apiTokens.create({
      workspaceId: made.workspaceId,
      name: 'deploy bot',
      scope: 'write',
    });
    return { ...made, token, tokenId: id, bot: harness.as(token) };
  }

  async function tokenRow(id: string) {
    return harness.db
      .selectFrom('api_tokens')
      .select(['id', 'revoked_at'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  }

  /** The workspace's token revocations as stored, oldest first. */
  async function revocations(workspaceId: string) {
    const rows = await harness.db
      .selectFrom('activity')
      .select(['actor_id', 'data'])
      .where('workspace_id', '=', workspaceId)
      .where('type', '=', 'api_token.revoked')
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map((row) => ({ ...row, data: JSON.parse(row.data) as unknown }));
  }

  it.each(['member', 'viewer'] as const)(
    'revokes them for good when demoted to %s, logging each',
    async (role) => {
      const { owner, admin, workspaceId, tokenId, bot } = await teamWithAdminToken();
      clock.advance(MINUTE_MS);
      const demotedAt = clock.now().toISOString();

      await owner.api.members.updateRole({ workspaceId, userId: admin.user.id, role });
      await owner.api.members.updateRole({ workspaceId, userId: admin.user.id, role: 'admin' });

      expect(await tokenRow(tokenId)).toEqual({ id: tokenId, revoked_at: demotedAt });
      expect((await rejection(bot.workspaces.get({ workspaceId }))).code).toBe('UNAUTHORIZED');
      expect(await revocations(workspaceId)).toEqual([
        {
          actor_id: owner.user.id,
          data: {
            tokenId,
            name: 'deploy bot',
            createdBy: { userId: admin.user.id, name: 'Adam Admin' },
            reason: 'creator_role_changed',
          },
        },
      ]);
    },
  );

  it('revokes them when the creator is removed, or leaves', async () => {
    const { owner, admin, workspaceId, tokenId } = await teamWithAdminToken();
    const other = await harness.signUpUser('Ann Admin');
    await harness.addMember(workspaceId, other.user.id, 'admin');
    const second = await other.api.apiTokens.create({ workspaceId, name: 'ci', scope: 'read' });

    await owner.api.members.remove({ workspaceId, userId: admin.user.id });
    clock.advance(MINUTE_MS);
    await other.api.members.leave({ workspaceId });

    expect((await tokenRow(tokenId)).revoked_at).not.toBeNull();
    expect((await tokenRow(second.id)).revoked_at).not.toBeNull();
    expect(await revocations(workspaceId)).toEqual([
      {
        actor_id: owner.user.id,
        data: expect.objectContaining({ tokenId, reason: 'creator_removed' }),
      },
      {
        actor_id: other.user.id,
        data: expect.objectContaining({ tokenId: second.id, reason: 'creator_left' }),
      },
    ]);
  });

  it('keeps them while the creator stays an admin or owner', async () => {
    const { owner, admin, workspaceId, tokenId, bot } = await teamWithAdminToken();

    await owner.api.members.updateRole({ workspaceId, userId: admin.user.id, role: 'owner' });
    await owner.api.members.updateRole({ workspaceId, userId: admin.user.id, role: 'admin' });

    expect((await tokenRow(tokenId)).revoked_at).toBeNull();
    expect(await bot.workspaces.get({ workspaceId })).toMatchObject({ id: workspaceId });
    expect(await revocations(workspaceId)).toEqual([]);
  });

  it('touches no one else’s tokens, nor the creator’s in other workspaces, nor old revocations', async () => {
    const { owner, admin, workspaceId, tokenId } = await teamWithAdminToken();
    const ownersToken = await owner.api.apiTokens.create({ workspaceId, name: 'o', scope: 'read' });
    const early = await admin.api.apiTokens.create({ workspaceId, name: 'early', scope: 'read' });
    await admin.api.apiTokens.revoke({ workspaceId, tokenId: early.id });
    const earlyRevokedAt = (await tokenRow(early.id)).revoked_at;
    const own = await admin.api.workspaces.create({ name: 'Own', slug: 'own' });
    const elsewhere = await admin.api.apiTokens.create({
      workspaceId: own.id,
      name: 'own',
      scope: 'read',
    });
    clock.advance(MINUTE_MS);

    await owner.api.members.updateRole({ workspaceId, userId: admin.user.id, role: 'member' });

    expect((await tokenRow(tokenId)).revoked_at).toBe(clock.now().toISOString());
    expect((await tokenRow(early.id)).revoked_at).toBe(earlyRevokedAt);
    expect((await tokenRow(ownersToken.id)).revoked_at).toBeNull();
    expect((await tokenRow(elsewhere.id)).revoked_at).toBeNull();
    expect((await revocations(workspaceId)).map((entry) => entry.data)).toEqual([
      expect.objectContaining({ tokenId }),
    ]);
  });

  it('revokes nothing when the change is refused', async () => {
    const { owner, workspaceId } = await team();
    const { id } = await owner.api.apiTokens.create({ workspaceId, name: 'o', scope: 'read' });
    const self = { workspaceId, userId: owner.user.id };

    // The last owner can neither step down nor leave (CONFLICT): both roll back whole.
    await rejection(owner.api.members.updateRole({ ...self, role: 'member' }));
    await rejection(owner.api.members.leave({ workspaceId }));

    expect((await tokenRow(id)).revoked_at).toBeNull();
    expect(await revocations(workspaceId)).toEqual([]);
  });
});

describe('membership changes in the activity log', () => {
  /** The workspace's member entries as stored, oldest first. */
  async function memberEntries(workspaceId: string) {
    const rows = await harness.db
      .selectFrom('activity')
      .select(['type', 'actor_id', 'data'])
      .where('workspace_id', '=', workspaceId)
      .where('type', 'like', 'member.%')
      .orderBy('seq')
      .execute();
    return rows.map((row) => ({ ...row, data: JSON.parse(row.data) as unknown }));
  }

  it('logs a join, a role change, a removal and a departure, each by whoever did it', async () => {
    const { owner, member, viewer, workspaceId } = await team();
    const guest = await harness.signUpUser('Gus Guest');
    const { inviteToken } = await invite(owner, workspaceId, guest, 'viewer');

    await guest.api.members.acceptInvite({ inviteToken });
    await owner.api.members.updateRole({ workspaceId, userId: guest.user.id, role: 'member' });
    await owner.api.members.remove({ workspaceId, userId: member.user.id });
    await viewer.api.members.leave({ workspaceId });

    expect(await memberEntries(workspaceId)).toEqual([
      {
        type: 'member.joined',
        actor_id: guest.user.id,
        data: {
          userId: guest.user.id,
          name: 'Gus Guest',
          role: 'viewer',
          member: {
            userId: guest.user.id,
            name: guest.user.name,
            email: guest.email,
            handle: guest.user.handle,
            role: 'viewer',
            joinedAt: expect.any(String),
          },
        },
      },
      {
        type: 'member.role_changed',
        actor_id: owner.user.id,
        data: {
          userId: guest.user.id,
          name: 'Gus Guest',
          changes: { role: { from: 'viewer', to: 'member' } },
          member: {
            userId: guest.user.id,
            name: guest.user.name,
            email: guest.email,
            handle: guest.user.handle,
            role: 'member',
            joinedAt: expect.any(String),
          },
        },
      },
      {
        type: 'member.removed',
        actor_id: owner.user.id,
        data: {
          userId: member.user.id,
          name: 'Mia Member',
          role: 'member',
          member: {
            userId: member.user.id,
            name: member.user.name,
            email: member.email,
            handle: member.user.handle,
            role: 'member',
            joinedAt: expect.any(String),
          },
        },
      },
      {
        type: 'member.left',
        actor_id: viewer.user.id,
        data: {
          userId: viewer.user.id,
          name: 'Vic Viewer',
          role: 'viewer',
          member: {
            userId: viewer.user.id,
            name: viewer.user.name,
            email: viewer.email,
            handle: viewer.user.handle,
            role: 'viewer',
            joinedAt: expect.any(String),
          },
        },
      },
    ]);
  });

  it('logs nothing for a refused change', async () => {
    const { owner, workspaceId } = await team();

    await rejection(owner.api.members.leave({ workspaceId }));

    expect(await memberEntries(workspaceId)).toEqual([]);
  });
});
