import type { Role } from '@trellis/db';
import type { Harness } from './harness.js';

/** A signed-up user as `Harness.signUpUser` returns them. */
export type SignedUp = Awaited<ReturnType<Harness['signUpUser']>>;

/**
 * Workspaces with people in every role, and what the members and invites tests read back,
 * over the calling file's harness (`current` returns the one of the running test).
 */
export function teamFixtures(current: () => Harness) {
  return {
    /** Each member's stored role, by user id. */
    async rolesIn(workspaceId: string): Promise<Record<string, Role>> {
      const rows = await current()
        .db.selectFrom('memberships')
        .select(['user_id', 'role'])
        .where('workspace_id', '=', workspaceId)
        .execute();
      return Object.fromEntries(rows.map((row) => [row.user_id, row.role]));
    },

    /** Every invite row of a workspace, as stored. */
    invitesOf(workspaceId: string) {
      return current()
        .db.selectFrom('invites')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .orderBy('created_at')
        .execute();
    },

    /** An owner's workspace with an admin, a member and a viewer. */
    async team() {
      const harness = current();
      const owner = await harness.signUpUser('Olive Owner');
      const admin = await harness.signUpUser('Adam Admin');
      const member = await harness.signUpUser('Mia Member');
      const viewer = await harness.signUpUser('Vic Viewer');
      const workspace = await owner.api.workspaces.create({ name: 'Acme', slug: 'acme' });
      await harness.addMember(workspace.id, admin.user.id, 'admin');
      await harness.addMember(workspace.id, member.user.id, 'member');
      await harness.addMember(workspace.id, viewer.user.id, 'viewer');
      return { owner, admin, member, viewer, workspace, workspaceId: workspace.id };
    },

    /** An owner's workspace with a second owner and an admin. */
    async twoOwners() {
      const harness = current();
      const owner = await harness.signUpUser('Olive Owner');
      const coOwner = await harness.signUpUser('Otto Owner');
      const admin = await harness.signUpUser('Adam Admin');
      const workspace = await owner.api.workspaces.create({ name: 'Acme', slug: 'acme' });
      await harness.addMember(workspace.id, coOwner.user.id, 'owner');
      await harness.addMember(workspace.id, admin.user.id, 'admin');
      return { owner, coOwner, admin, workspace, workspaceId: workspace.id };
    },

    /** `by` invites `who` to the workspace with `role`. */
    invite(by: SignedUp, workspaceId: string, who: SignedUp, role: Role = 'member') {
      return by.api.members.invite({ workspaceId, email: who.email, role });
    },
  };
}
