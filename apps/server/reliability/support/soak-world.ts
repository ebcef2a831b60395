import { createClient, type TrellisClient } from '@trellis/client';

// The people and places of the soak: four users in two workspaces with two projects each,
// every user in both workspaces with a different role in each (owner, admin, member), so
// that the traffic crosses users, roles and workspaces the way a small team's does.

const PASSWORD = 'correct horse battery staple';

/** A signed-up user and a client holding their session. */
export interface SoakUser {
  name: string;
  userId: string;
  client: TrellisClient;
}

/** A workspace of the soak and its projects. */
export interface SoakWorkspace {
  id: string;
  projectIds: string[];
}

/** Everyone and everything the traffic uses. */
export interface SoakWorld {
  users: SoakUser[];
  workspaces: SoakWorkspace[];
  /** Who holds which role where, for the summary: `alice: ws1 owner, ws2 member`. */
  roles: string[];
}

/** The token of the verification link mailed to `email` (read from the soak's mailbox). */
export type VerificationToken = (email: string) => Promise<string>;

/** Signs up `name` on `url` through `fetch`, and verifies the address from the mail (only a
 * verified address may accept the invites below). */
async function signUp(
  url: string,
  fetch: typeof globalThis.fetch,
  verificationToken: VerificationToken,
  name: string,
) {
  const anonymous = createClient({ url, fetch });
  const email = `${name}@soak.example`;
  const { user, session } = await anonymous.auth.signUp.mutate({ email, password: PASSWORD, name });
  await anonymous.auth.verifyEmail.mutate({ token: await verificationToken(email) });
  const client = createClient({ url, fetch, token: session.token });
  return { name, userId: user.id, email: user.email, client };
}

/** Creates the users, workspaces, projects and memberships; all calls through `fetch`. */
export async function buildWorld(
  url: string,
  fetch: typeof globalThis.fetch,
  verificationToken: VerificationToken,
): Promise<SoakWorld> {
  const [alice, bob, carol, dave] = await Promise.all(
    ['alice', 'bob', 'carol', 'dave'].map((name) => signUp(url, fetch, verificationToken, name)),
  );
  if (!alice || !bob || !carol || !dave) throw new Error('sign-up failed');
  // Each workspace: an owner, an admin and a member (the fourth user is a member too).
  const plans = [
    { owner: alice, slug: 'soak-one', keys: ['ONEA', 'ONEB'], admin: dave, members: [carol, bob] },
    { owner: bob, slug: 'soak-two', keys: ['TWOA', 'TWOB'], admin: carol, members: [dave, alice] },
  ];
  const roles = new Map<string, string[]>();
  const note = (name: string, role: string) => roles.set(name, [...(roles.get(name) ?? []), role]);
  const workspaces: SoakWorkspace[] = [];
  for (const plan of plans) {
    const owner = plan.owner.client;
    const workspace = await owner.workspaces.create.mutate({ name: plan.slug, slug: plan.slug });
    const projectIds: string[] = [];
    for (const key of plan.keys) {
      const project = await owner.projects.create.mutate({
        workspaceId: workspace.id,
        name: key,
        key,
      });
      projectIds.push(project.id);
    }
    const invitees = [
      { user: plan.admin, role: 'admin' as const },
      ...plan.members.map((user) => ({ user, role: 'member' as const })),
    ];
    for (const { user, role } of invitees) {
      const { inviteToken } = await owner.members.invite.mutate({
        workspaceId: workspace.id,
        email: user.email,
        role,
      });
      await user.client.members.acceptInvite.mutate({ inviteToken });
      note(user.name, `${plan.slug} ${role}`);
    }
    note(plan.owner.name, `${plan.slug} owner`);
    workspaces.push({ id: workspace.id, projectIds });
  }
  return {
    users: [alice, bob, carol, dave].map(({ name, userId, client }) => ({ name, userId, client })),
    workspaces,
    roles: [...roles].map(([name, held]) => `${name}: ${held.join(', ')}`),
  };
}
