// The people of the live-update suites, made through @trellis/client as a program makes
// them: sign-up, a workspace, and a teammate who joined through an invite.

import { insertDefaultStates } from '@trellis/api/internal';
import { createClient } from '@trellis/client';
import { newId } from '@trellis/db';
import { type TestServer, verifyEmailByMail } from './server.js';

let seq = 0;

/** A new account on `server`, with a client signed in as it. */
export async function signUpUser(server: TestServer, name: string) {
  seq += 1;
  const email = `live-${seq}-${process.pid}@example.com`;
  const { user, session } = await createClient({ url: server.url }).auth.signUp.mutate({
    email,
    password: 'correct horse battery staple',
    name,
  });
  const client = createClient({ url: server.url, token: session.token });
  return { user, email, token: session.token, client };
}

/** An owner's workspace with one project (written directly: projects are not the point),
 * and a teammate with the given role who joined through an invite. */
export async function liveTeam(server: TestServer, role: 'member' | 'viewer' = 'member') {
  const owner = await signUpUser(server, 'Olive');
  const mate = await signUpUser(server, 'Max');
  seq += 1;
  const workspace = await owner.client.workspaces.create.mutate({
    name: 'Team',
    slug: `t${seq}-${process.pid}`,
  });
  const workspaceId = workspace.id;
  const invite = await owner.client.members.invite.mutate({ workspaceId, email: mate.email, role });
  // Only a verified address may accept an invite: prove it from the mail, as a person does.
  await verifyEmailByMail(server, mate.email);
  await mate.client.members.acceptInvite.mutate({ inviteToken: invite.inviteToken });
  const projectId = newId();
  const now = new Date().toISOString();
  await server.db
    .insertInto('projects')
    .values({
      id: projectId,
      workspace_id: workspaceId,
      key: 'LIVE',
      name: 'Live',
      archived_at: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  await insertDefaultStates(server.db, workspaceId, projectId, now);
  const createTask = (title: string) => owner.client.tasks.create.mutate({ projectId, title });
  return { owner, mate, workspaceId, projectId, createTask };
}

export type LiveTeam = Awaited<ReturnType<typeof liveTeam>>;
