import { createHash } from 'node:crypto';
import { issueToken } from '@trellis/auth';
import { describe, expect, it } from 'vitest';
import { type Harness, harnessForEachTest, rejection, type TestClock } from '../test/harness.js';
import { type SignedUp, teamFixtures } from '../test/teams.js';

// members.invite, members.invites, members.revokeInvite and members.acceptInvite
// (routers/invites.ts).

const START = new Date('2030-06-01T09:00:00.000Z');
const MINUTE_MS = 60 * 1000;
const DAY_MS = 24 * 60 * MINUTE_MS;
const INVITE_LIFETIME_MS = 7 * DAY_MS;
/** `tri_` followed by a 24-character lookup id and a 32-character secret. */
const ID_END = 'tri_'.length + 24;

let harness: Harness;
let clock: TestClock;

harnessForEachTest(START, (fresh, freshClock) => {
  harness = fresh;
  clock = freshClock;
});

const { rolesIn, invitesOf, team, twoOwners, invite } = teamFixtures(() => harness);

const iso = (ms: number) => new Date(ms).toISOString();
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const secretOf = (inviteToken: string) => inviteToken.slice(ID_END);

/** One invite row, as stored. */
function inviteRow(inviteId: string) {
  return harness.db.selectFrom('invites').selectAll().where('id', '=', inviteId).executeTakeFirst();
}

describe('members.invite', () => {
  it('lets an admin invite, returning a tri_ token that expires 7 days later', async () => {
    const { admin, workspaceId } = await team();

    const result = await admin.api.members.invite({
      workspaceId,
      email: 'grace@example.com',
      role: 'member',
    });

    expect(result).toEqual({
      inviteId: expect.any(String),
      inviteToken: expect.stringMatching(/^tri_[a-z2-9]{56}$/),
      email: 'grace@example.com',
      role: 'member',
      expiresAt: iso(START.getTime() + INVITE_LIFETIME_MS),
    });
    expect(await invitesOf(workspaceId)).toEqual([
      {
        id: result.inviteId,
        workspace_id: workspaceId,
        email: 'grace@example.com',
        role: 'member',
        secret_hash: sha256(secretOf(result.inviteToken)),
        invited_by: admin.user.id,
        created_at: START.toISOString(),
        expires_at: result.expiresAt,
        accepted_at: null,
        accepted_by: null,
      },
    ]);
  });

  it('stores only a hash: neither the token nor its secret appears in the invite row', async () => {
    const { admin, workspaceId } = await team();

    const { inviteId, inviteToken } = await admin.api.members.invite({
      workspaceId,
      email: 'grace@example.com',
      role: 'viewer',
    });

    const stored = JSON.stringify(await inviteRow(inviteId));
    expect(stored).not.toContain(inviteToken);
    expect(stored).not.toContain(secretOf(inviteToken));
    expect(stored).toContain(sha256(secretOf(inviteToken)));
  });

  it('normalizes the email’s case, so the invitee can accept', async () => {
    const { admin, workspaceId } = await team();
    const grace = await harness.signUpUser('Grace');

    const result = await admin.api.members.invite({
      workspaceId,
      email: grace.email.toUpperCase(),
      role: 'member',
    });

    expect(result.email).toBe(grace.email);
    expect((await inviteRow(result.inviteId))?.email).toBe(grace.email);
    await grace.api.members.acceptInvite({ inviteToken: result.inviteToken });
    expect((await rolesIn(workspaceId))[grace.user.id]).toBe('member');
  });

  it.each(['member', 'viewer'] as const)(
    'refuses a %s with FORBIDDEN, writing nothing',
    async (role) => {
      const fixture = await team();

      const error = await rejection(
        fixture[role].api.members.invite({
          workspaceId: fixture.workspaceId,
          email: 'grace@example.com',
          role: 'viewer',
        }),
      );

      expect(error.code).toBe('FORBIDDEN');
      expect(await invitesOf(fixture.workspaceId)).toEqual([]);
    },
  );

  it('refuses to invite an existing member, whatever the case, with CONFLICT', async () => {
    const { admin, member, workspaceId } = await team();

    const error = await rejection(
      admin.api.members.invite({ workspaceId, email: member.email.toUpperCase(), role: 'admin' }),
    );

    expect(error.code).toBe('CONFLICT');
    expect(await invitesOf(workspaceId)).toEqual([]);
  });

  it('refuses an admin inviting an owner with FORBIDDEN, writing nothing', async () => {
    const { admin, workspaceId } = await team();

    const error = await rejection(
      admin.api.members.invite({ workspaceId, email: 'grace@example.com', role: 'owner' }),
    );

    expect(error.code).toBe('FORBIDDEN');
    expect(await invitesOf(workspaceId)).toEqual([]);
  });

  it('lets an owner invite an owner', async () => {
    const { owner, workspaceId } = await team();
    const grace = await harness.signUpUser('Grace');

    const { inviteToken } = await invite(owner, workspaceId, grace, 'owner');

    await grace.api.members.acceptInvite({ inviteToken });
    expect((await rolesIn(workspaceId))[grace.user.id]).toBe('owner');
  });

  it('replaces a pending invite for the same address; the old token is then NOT_FOUND', async () => {
    const { admin, workspaceId } = await team();
    const grace = await harness.signUpUser('Grace');
    const first = await invite(admin, workspaceId, grace, 'viewer');

    const second = await invite(admin, workspaceId, grace, 'member');

    expect((await invitesOf(workspaceId)).map((row) => [row.id, row.role])).toEqual([
      [second.inviteId, 'member'],
    ]);
    const error = await rejection(
      grace.api.members.acceptInvite({ inviteToken: first.inviteToken }),
    );
    expect(error.code).toBe('NOT_FOUND');
    expect((await rolesIn(workspaceId))[grace.user.id]).toBeUndefined();
    await grace.api.members.acceptInvite({ inviteToken: second.inviteToken });
    expect((await rolesIn(workspaceId))[grace.user.id]).toBe('member');
  });

  it('keeps one pending invite per address when invites for it are sent at the same time', async () => {
    const { admin, workspaceId } = await team();
    const grace = await harness.signUpUser('Grace');

    const sent = await Promise.all(
      Array.from({ length: 8 }, () => invite(admin, workspaceId, grace, 'member')),
    );

    const pending = await invitesOf(workspaceId);
    expect(pending).toHaveLength(1);
    expect(sent.map((result) => result.inviteId)).toContain(pending[0]?.id);
  });
});

describe('members.acceptInvite', () => {
  it('makes the invitee a member with the invited role and consumes the invite', async () => {
    const { admin, workspace, workspaceId } = await team();
    const grace = await harness.signUpUser('Grace');
    const { inviteId, inviteToken } = await invite(admin, workspaceId, grace, 'viewer');
    clock.advance(DAY_MS);
    const acceptedAt = clock.now().toISOString();

    const result = await grace.api.members.acceptInvite({ inviteToken });

    expect(result).toEqual({
      workspaceId,
      userId: grace.user.id,
      role: 'viewer',
      joinedAt: acceptedAt,
      workspace: { id: workspaceId, name: workspace.name, slug: workspace.slug },
    });
    expect((await rolesIn(workspaceId))[grace.user.id]).toBe('viewer');
    expect(await inviteRow(inviteId)).toMatchObject({
      accepted_at: acceptedAt,
      accepted_by: grace.user.id,
    });
    expect(await grace.api.workspaces.get({ workspaceId })).toMatchObject({ role: 'viewer' });
  });

  it('refuses the same token a second time with NOT_FOUND', async () => {
    const { admin, workspaceId } = await team();
    const grace = await harness.signUpUser('Grace');
    const { inviteId, inviteToken } = await invite(admin, workspaceId, grace, 'viewer');
    await grace.api.members.acceptInvite({ inviteToken });
    const before = await inviteRow(inviteId);
    clock.advance(MINUTE_MS);

    const error = await rejection(grace.api.members.acceptInvite({ inviteToken }));

    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toMatch(/already been used/);
    expect(await inviteRow(inviteId)).toEqual(before);
    expect((await rolesIn(workspaceId))[grace.user.id]).toBe('viewer');
  });

  it('refuses someone signed in with another email with FORBIDDEN; the invite stays usable', async () => {
    const { admin, workspaceId } = await team();
    const grace = await harness.signUpUser('Grace');
    const mallory = await harness.signUpUser('Mallory');
    const { inviteId, inviteToken } = await invite(admin, workspaceId, grace, 'admin');

    const error = await rejection(mallory.api.members.acceptInvite({ inviteToken }));

    expect(error.code).toBe('FORBIDDEN');
    expect((await rolesIn(workspaceId))[mallory.user.id]).toBeUndefined();
    expect(await inviteRow(inviteId)).toMatchObject({ accepted_at: null, accepted_by: null });
    await grace.api.members.acceptInvite({ inviteToken });
    expect((await rolesIn(workspaceId))[grace.user.id]).toBe('admin');
  });

  it('accepts an invite 1 ms before it expires', async () => {
    const { admin, workspaceId } = await team();
    const grace = await harness.signUpUser('Grace');
    const { inviteToken } = await invite(admin, workspaceId, grace);
    clock.advance(INVITE_LIFETIME_MS - 1);

    await grace.api.members.acceptInvite({ inviteToken });

    expect((await rolesIn(workspaceId))[grace.user.id]).toBe('member');
  });

  it('refuses an invite 7 days and 1 ms old with NOT_FOUND, adding no member', async () => {
    const { admin, workspaceId } = await team();
    const grace = await harness.signUpUser('Grace');
    const { inviteId, inviteToken } = await invite(admin, workspaceId, grace);
    clock.advance(INVITE_LIFETIME_MS + 1);

    const error = await rejection(grace.api.members.acceptInvite({ inviteToken }));

    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toMatch(/expired/);
    expect((await rolesIn(workspaceId))[grace.user.id]).toBeUndefined();
    expect(await inviteRow(inviteId)).toMatchObject({ accepted_at: null, accepted_by: null });
  });

  it.each([
    ['a word', 'not-a-token'],
    ['the bare prefix', 'tri_'],
    ['a short body', 'tri_abc'],
    ['an API-token prefix', `trl_${'a'.repeat(56)}`],
    ['capital letters', `tri_${'A'.repeat(56)}`],
    ['one character too many', `tri_${'a'.repeat(57)}`],
    ['a well-formed but unknown token', issueToken('tri_').token],
  ])('refuses %s with NOT_FOUND', async (_label, inviteToken) => {
    const { admin, workspaceId } = await team();
    const grace = await harness.signUpUser('Grace');
    await invite(admin, workspaceId, grace);

    const error = await rejection(grace.api.members.acceptInvite({ inviteToken }));

    expect(error.code).toBe('NOT_FOUND');
    expect((await rolesIn(workspaceId))[grace.user.id]).toBeUndefined();
    expect(await invitesOf(workspaceId)).toMatchObject([{ accepted_at: null }]);
  });

  it('refuses a token with the right id but another secret with NOT_FOUND', async () => {
    const { admin, workspaceId } = await team();
    const grace = await harness.signUpUser('Grace');
    const { inviteId, inviteToken } = await invite(admin, workspaceId, grace);
    const tampered = inviteToken.slice(0, ID_END) + secretOf(issueToken('tri_').token);

    const error = await rejection(grace.api.members.acceptInvite({ inviteToken: tampered }));

    expect(error.code).toBe('NOT_FOUND');
    expect((await rolesIn(workspaceId))[grace.user.id]).toBeUndefined();
    expect(await inviteRow(inviteId)).toMatchObject({ accepted_at: null, accepted_by: null });
  });

  it('refuses someone who is already a member with CONFLICT, leaving the invite unused', async () => {
    const { admin, workspaceId } = await team();
    const grace = await harness.signUpUser('Grace');
    const { inviteId, inviteToken } = await invite(admin, workspaceId, grace, 'admin');
    await harness.addMember(workspaceId, grace.user.id, 'viewer');

    const error = await rejection(grace.api.members.acceptInvite({ inviteToken }));

    expect(error.code).toBe('CONFLICT');
    expect(await inviteRow(inviteId)).toMatchObject({ accepted_at: null, accepted_by: null });
    expect((await rolesIn(workspaceId))[grace.user.id]).toBe('viewer');
  });

  it('answers a caller without a session with UNAUTHORIZED', async () => {
    const { admin, workspaceId } = await team();
    const grace = await harness.signUpUser('Grace');
    const { inviteId, inviteToken } = await invite(admin, workspaceId, grace);

    const error = await rejection(harness.caller().api.members.acceptInvite({ inviteToken }));

    expect(error.code).toBe('UNAUTHORIZED');
    expect(await inviteRow(inviteId)).toMatchObject({ accepted_at: null });
  });

  it('refuses an invitee whose email is not verified with FORBIDDEN; the invite stays usable', async () => {
    const { admin, workspaceId } = await team();
    const grace = await harness.signUpUser('Grace', { verified: false });
    const { inviteId, inviteToken } = await invite(admin, workspaceId, grace);

    const error = await rejection(grace.api.members.acceptInvite({ inviteToken }));

    expect(error.code).toBe('FORBIDDEN');
    expect(error.message).toMatch(/verify your email address/i);
    expect((await rolesIn(workspaceId))[grace.user.id]).toBeUndefined();
    expect(await inviteRow(inviteId)).toMatchObject({ accepted_at: null, accepted_by: null });
    await harness.db
      .updateTable('users')
      .set({ email_verified_at: clock.now().toISOString() })
      .where('id', '=', grace.user.id)
      .execute();
    await grace.api.members.acceptInvite({ inviteToken });
    expect((await rolesIn(workspaceId))[grace.user.id]).toBe('member');
  });
});

describe('members.acceptInvite re-checks the inviter', () => {
  /** Refused with FORBIDDEN, the invite withdrawn; a second try finds nothing. */
  async function expectWithdrawn(
    who: SignedUp,
    workspaceId: string,
    sent: { inviteId: string; inviteToken: string },
  ) {
    const error = await rejection(who.api.members.acceptInvite({ inviteToken: sent.inviteToken }));
    expect(error.code).toBe('FORBIDDEN');
    expect(error.message).toMatch(/withdrawn/);
    expect(await inviteRow(sent.inviteId)).toBeUndefined();
    const again = await rejection(who.api.members.acceptInvite({ inviteToken: sent.inviteToken }));
    expect(again.code).toBe('NOT_FOUND');
    expect((await rolesIn(workspaceId))[who.user.id]).toBeUndefined();
  }

  it('withdraws an invite whose inviter was removed', async () => {
    const { owner, admin, workspaceId } = await team();
    const alternate = await harness.signUpUser('Adam, elsewhere');
    const sent = await invite(admin, workspaceId, alternate, 'admin');
    await owner.api.members.remove({ workspaceId, userId: admin.user.id });

    await expectWithdrawn(alternate, workspaceId, sent);
  });

  it('withdraws an invite whose inviter left', async () => {
    const { admin, workspaceId } = await team();
    const grace = await harness.signUpUser('Grace');
    const sent = await invite(admin, workspaceId, grace);
    await admin.api.members.leave({ workspaceId });

    await expectWithdrawn(grace, workspaceId, sent);
  });

  it.each(['member', 'viewer'] as const)(
    'withdraws an invite whose inviter was demoted to %s',
    async (role) => {
      const { owner, admin, workspaceId } = await team();
      const grace = await harness.signUpUser('Grace');
      const sent = await invite(admin, workspaceId, grace, 'viewer');
      await owner.api.members.updateRole({ workspaceId, userId: admin.user.id, role });

      await expectWithdrawn(grace, workspaceId, sent);
    },
  );

  it('withdraws an owner invite whose inviter is now only an admin', async () => {
    const { owner, coOwner, workspaceId } = await twoOwners();
    const grace = await harness.signUpUser('Grace');
    const sent = await invite(coOwner, workspaceId, grace, 'owner');
    await owner.api.members.updateRole({ workspaceId, userId: coOwner.user.id, role: 'admin' });

    await expectWithdrawn(grace, workspaceId, sent);
  });

  it('withdraws an invite that names no inviter', async () => {
    const { admin, workspaceId } = await team();
    const grace = await harness.signUpUser('Grace');
    const sent = await invite(admin, workspaceId, grace);
    await harness.db
      .updateTable('invites')
      .set({ invited_by: null })
      .where('id', '=', sent.inviteId)
      .execute();

    await expectWithdrawn(grace, workspaceId, sent);
  });

  it('accepts an invite whose inviter still may invite that role', async () => {
    const { owner, coOwner, workspaceId } = await twoOwners();
    const grace = await harness.signUpUser('Grace');
    await invite(coOwner, workspaceId, grace, 'admin');
    const { inviteToken } = await invite(coOwner, workspaceId, grace, 'admin');
    // An owner who became an admin may still invite admins.
    await owner.api.members.updateRole({ workspaceId, userId: coOwner.user.id, role: 'admin' });

    await grace.api.members.acceptInvite({ inviteToken });

    expect((await rolesIn(workspaceId))[grace.user.id]).toBe('admin');
  });

  it('leaves the invite alone when the invitee is refused for another reason', async () => {
    const { owner, admin, workspaceId } = await team();
    const grace = await harness.signUpUser('Grace');
    const mallory = await harness.signUpUser('Mallory');
    const sent = await invite(admin, workspaceId, grace);
    await owner.api.members.remove({ workspaceId, userId: admin.user.id });

    // The wrong person learns nothing about the inviter, and withdraws nothing.
    const error = await rejection(
      mallory.api.members.acceptInvite({ inviteToken: sent.inviteToken }),
    );

    expect(error.message).toMatch(/different email address/);
    expect(await inviteRow(sent.inviteId)).toMatchObject({ accepted_at: null });
  });
});

describe('members.invites', () => {
  it('lists pending invites newest first, leaving out accepted ones', async () => {
    const { admin, workspaceId } = await team();
    const [ann, ben, cat] = [
      await harness.signUpUser('Ann'),
      await harness.signUpUser('Ben'),
      await harness.signUpUser('Cat'),
    ];
    const first = await invite(admin, workspaceId, ann, 'viewer');
    clock.advance(MINUTE_MS);
    const second = await invite(admin, workspaceId, ben, 'admin');
    const accepted = await invite(admin, workspaceId, cat);
    await cat.api.members.acceptInvite({ inviteToken: accepted.inviteToken });

    const invites = await admin.api.members.invites({ workspaceId });

    expect(invites).toEqual([
      {
        id: second.inviteId,
        email: ben.email,
        role: 'admin',
        invitedBy: admin.user.id,
        createdAt: iso(START.getTime() + MINUTE_MS),
        expiresAt: second.expiresAt,
      },
      {
        id: first.inviteId,
        email: ann.email,
        role: 'viewer',
        invitedBy: admin.user.id,
        createdAt: START.toISOString(),
        expiresAt: first.expiresAt,
      },
    ]);
  });

  it('leaves out invites that have expired', async () => {
    const { admin, workspaceId } = await team();
    const ann = await harness.signUpUser('Ann');
    const ben = await harness.signUpUser('Ben');
    await invite(admin, workspaceId, ann);
    clock.advance(DAY_MS);
    const fresh = await invite(admin, workspaceId, ben);
    clock.advance(INVITE_LIFETIME_MS - DAY_MS);

    const invites = await admin.api.members.invites({ workspaceId });

    expect(invites.map((row) => row.id)).toEqual([fresh.inviteId]);
  });

  it('refuses a member with FORBIDDEN', async () => {
    const { admin, member, workspaceId } = await team();
    const ann = await harness.signUpUser('Ann');
    await invite(admin, workspaceId, ann);

    const error = await rejection(member.api.members.invites({ workspaceId }));

    expect(error.code).toBe('FORBIDDEN');
  });
});

describe('members.revokeInvite', () => {
  it('deletes a pending invite, which then cannot be accepted', async () => {
    const { admin, workspaceId } = await team();
    const grace = await harness.signUpUser('Grace');
    const { inviteId, inviteToken } = await invite(admin, workspaceId, grace);

    expect(await admin.api.members.revokeInvite({ workspaceId, inviteId })).toEqual({ ok: true });

    expect(await invitesOf(workspaceId)).toEqual([]);
    expect(await admin.api.members.invites({ workspaceId })).toEqual([]);
    const error = await rejection(grace.api.members.acceptInvite({ inviteToken }));
    expect(error.code).toBe('NOT_FOUND');
    expect((await rolesIn(workspaceId))[grace.user.id]).toBeUndefined();
  });

  it('answers a second revocation with NOT_FOUND', async () => {
    const { admin, workspaceId } = await team();
    const grace = await harness.signUpUser('Grace');
    const { inviteId } = await invite(admin, workspaceId, grace);
    await admin.api.members.revokeInvite({ workspaceId, inviteId });

    const error = await rejection(admin.api.members.revokeInvite({ workspaceId, inviteId }));

    expect(error.code).toBe('NOT_FOUND');
  });

  it('answers a revocation through another workspace with NOT_FOUND, keeping the invite', async () => {
    const { admin, workspaceId } = await team();
    const grace = await harness.signUpUser('Grace');
    const { inviteId, inviteToken } = await invite(admin, workspaceId, grace);
    const other = await admin.api.workspaces.create({ name: 'Other', slug: 'other' });

    const error = await rejection(
      admin.api.members.revokeInvite({ workspaceId: other.id, inviteId }),
    );

    expect(error.code).toBe('NOT_FOUND');
    await grace.api.members.acceptInvite({ inviteToken });
    expect((await rolesIn(workspaceId))[grace.user.id]).toBe('member');
  });

  it('answers revoking an accepted invite with NOT_FOUND, keeping its record', async () => {
    const { admin, workspaceId } = await team();
    const grace = await harness.signUpUser('Grace');
    const { inviteId, inviteToken } = await invite(admin, workspaceId, grace);
    await grace.api.members.acceptInvite({ inviteToken });

    const error = await rejection(admin.api.members.revokeInvite({ workspaceId, inviteId }));

    expect(error.code).toBe('NOT_FOUND');
    expect(await inviteRow(inviteId)).toMatchObject({ accepted_by: grace.user.id });
  });
});
