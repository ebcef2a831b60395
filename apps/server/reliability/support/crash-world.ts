import { createClient } from '@trellis/client';

/** A signed-up user's bearer token and the projects of their workspace. */
export interface World {
  token: string;
  projectIds: string[];
}

/** Signs up one user on `url`, with a workspace holding a project for each of `keys`. */
export async function createWorld(url: string, slug: string, keys: string[]): Promise<World> {
  const { session } = await createClient({ url }).auth.signUp.mutate({
    email: `${slug}@example.com`,
    password: 'correct horse battery staple',
    name: slug,
  });
  const client = createClient({ url, token: session.token });
  const workspace = await client.workspaces.create.mutate({ name: slug, slug });
  const projectIds: string[] = [];
  for (const key of keys) {
    const project = await client.projects.create.mutate({
      workspaceId: workspace.id,
      name: key,
      key,
    });
    projectIds.push(project.id);
  }
  return { token: session.token, projectIds };
}
