import { createClient } from '@trellis/client';

let seq = 0;

/** Signs up a new person; returns their session token and an authenticated client. */
export async function signUpUser(url: string, name = 'Ada') {
  seq += 1;
  const email = `examples-${seq}-${Date.now()}@example.com`;
  const password = 'correct horse battery staple';
  const { user, session } = await createClient({ url }).auth.signUp.mutate({
    email,
    password,
    name,
  });
  return { user, token: session.token, client: createClient({ url, token: session.token }) };
}

/** A new person with a workspace and a project in it (key `APP`). */
export async function signUpWithProject(url: string) {
  const person = await signUpUser(url);
  const slug = `ws-${seq}-${Date.now()}`;
  const workspace = await person.client.workspaces.create.mutate({ name: 'Acme', slug });
  const project = await person.client.projects.create.mutate({
    workspaceId: workspace.id,
    name: 'App',
    key: 'APP',
  });
  return { ...person, workspace, project };
}
