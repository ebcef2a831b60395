// People and workspaces for the raw-HTTP tests, made the way a client makes them: sign-up,
// workspaces.create, and an invite accepted after proving the address from its mail.
import type { RouterOutputs } from '@trellis/client';
import type { Wire } from './http.js';
import { verifyEmailByMail } from './server.js';
import { type AuthResult, dataOf, PASSWORD, type User, type Workspace } from './wire.js';

/** A signed-up person and their session's bearer token. */
export interface Account {
  email: string;
  user: User;
  token: string;
}

/** A workspace with an owner, an admin and two members, and an outsider with a workspace of
 * their own (who is a member of nothing else). */
export interface Team {
  workspaceId: string;
  owner: Account;
  admin: Account;
  member: Account;
  colleague: Account;
  outsider: Account;
  outsiderWorkspaceId: string;
}

let counter = 0;

/** `<tag>-<n>-<pid>`: unique across this file's tests and across parallel test files. */
export function unique(tag: string): string {
  counter += 1;
  return `${tag}-${counter}-${process.pid}`;
}

/** A fresh address at example.com. */
export function uniqueEmail(tag: string): string {
  return `${unique(tag)}@example.com`;
}

/** The account helpers, bound to one file's server. */
export function accountsOn(wire: Wire) {
  const { mutate } = wire;

  async function signUp(tag = 'user'): Promise<Account> {
    const email = uniqueEmail(tag);
    const result = dataOf<AuthResult>(
      await mutate('auth.signUp', { email, password: PASSWORD, name: `Name ${tag}` }),
    );
    return { email, user: result.user, token: result.session.token };
  }

  /** A new session of an existing account; returns its token. */
  async function signIn(email: string): Promise<string> {
    return dataOf<AuthResult>(await mutate('auth.signIn', { email, password: PASSWORD })).session
      .token;
  }

  async function createWorkspace(token: string, name = 'Acme'): Promise<Workspace> {
    return dataOf<Workspace>(
      await mutate('workspaces.create', { name, slug: unique('ws') }, { token }),
    );
  }

  /** A new account that joins the workspace with `role` through an invite. */
  async function join(owner: Account, workspaceId: string, role: string): Promise<Account> {
    const account = await signUp(role);
    // Only a verified address may accept an invite: prove it from the mail, as a person does.
    await verifyEmailByMail(wire.server, account.email);
    const invite = dataOf<RouterOutputs['members']['invite']>(
      await mutate(
        'members.invite',
        { workspaceId, email: account.email, role },
        { token: owner.token },
      ),
    );
    dataOf(
      await mutate(
        'members.acceptInvite',
        { inviteToken: invite.inviteToken },
        { token: account.token },
      ),
    );
    return account;
  }

  async function makeTeam(): Promise<Team> {
    const owner = await signUp('owner');
    const workspaceId = (await createWorkspace(owner.token)).id;
    const outsider = await signUp('outsider');
    const outsiderWorkspaceId = (await createWorkspace(outsider.token)).id;
    return {
      workspaceId,
      owner,
      admin: await join(owner, workspaceId, 'admin'),
      member: await join(owner, workspaceId, 'member'),
      colleague: await join(owner, workspaceId, 'member'),
      outsider,
      outsiderWorkspaceId,
    };
  }

  return { signUp, signIn, createWorkspace, join, makeTeam };
}
