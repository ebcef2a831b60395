import { createClient, isTrellisError } from '@trellis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer, verifyEmailByMail } from './support/server.js';

// The vertical slice as a TypeScript program sees it: only @trellis/client, a real
// server on a loopback port, and a real SQLite file behind it.

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

let seq = 0;
async function signUpUser(name = 'Ada Lovelace') {
  seq += 1;
  const anonymous = createClient({ url: server.url });
  const email = `client-${seq}@example.com`;
  const { user, session } = await anonymous.auth.signUp.mutate({
    email,
    password: 'correct horse battery staple',
    name,
  });
  const client = createClient({ url: server.url, token: session.token });
  return { user, email, token: session.token, client };
}

async function errorOf(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isTrellisError(error)) throw new Error(`expected a Trellis error, got ${String(error)}`);
  return error;
}

describe('@trellis/client against a real server', () => {
  it('signs up, creates a workspace, and reads it back with types', async () => {
    const { user, client } = await signUpUser();
    const workspace = await client.workspaces.create.mutate({ name: 'Acme', slug: 'acme' });
    expect(workspace).toMatchObject({ name: 'Acme', slug: 'acme', role: 'owner' });

    const me = await client.auth.me.query();
    expect(me.user).toMatchObject(user);
    expect(me.workspaces).toEqual([
      { id: workspace.id, name: 'Acme', slug: 'acme', role: 'owner' },
    ]);
    expect(await client.workspaces.get.query({ workspaceId: workspace.id })).toEqual(workspace);
  });

  it('renames and deletes a workspace as its owner', async () => {
    const { client } = await signUpUser();
    const { id } = await client.workspaces.create.mutate({ name: 'Old', slug: 'rename-me' });
    const renamed = await client.workspaces.update.mutate({ workspaceId: id, name: 'New' });
    expect(renamed.name).toBe('New');
    expect(await client.workspaces.delete.mutate({ workspaceId: id })).toEqual({ ok: true });
    expect(await client.workspaces.list.query()).toEqual([]);
  });

  it('surfaces contract errors with their code and field errors', async () => {
    const anonymous = createClient({ url: server.url });
    const invalid = await errorOf(
      anonymous.auth.signUp.mutate({ email: 'x@example.com', password: 'short', name: 'X' }),
    );
    expect(invalid.data?.code).toBe('BAD_REQUEST');
    expect(invalid.data?.httpStatus).toBe(400);
    expect(Object.keys(invalid.data?.fieldErrors ?? {})).toEqual(['password']);

    const unauthorized = await errorOf(anonymous.auth.me.query());
    expect(unauthorized.data?.code).toBe('UNAUTHORIZED');
  });

  it('hides other workspaces behind NOT_FOUND', async () => {
    const alice = await signUpUser('Alice');
    const bob = await signUpUser('Bob');
    const { id } = await alice.client.workspaces.create.mutate({
      name: 'Private',
      slug: 'private',
    });
    const error = await errorOf(bob.client.workspaces.get.query({ workspaceId: id }));
    expect(error.data?.code).toBe('NOT_FOUND');
  });

  it('batches calls made in the same tick into one HTTP request', async () => {
    const { email, token } = await signUpUser();
    const requests: string[] = [];
    const counting: typeof fetch = (input, init) => {
      requests.push(String(input instanceof Request ? input.url : input));
      return fetch(input, init);
    };
    const client = createClient({ url: server.url, token, fetch: counting });
    const [me, list, sessions] = await Promise.all([
      client.auth.me.query(),
      client.workspaces.list.query(),
      client.auth.sessions.list.query(),
    ]);
    expect(me.user.email).toBe(email);
    expect(list).toEqual([]);
    expect(sessions.filter((s) => s.current)).toHaveLength(1);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toContain('/trpc/auth.me,workspaces.list,auth.sessions.list?batch=1');
  });

  it('signs out: the token stops working at once', async () => {
    const { client } = await signUpUser();
    expect(await client.auth.signOut.mutate({})).toEqual({ ok: true });
    expect((await errorOf(client.auth.me.query())).data?.code).toBe('UNAUTHORIZED');
  });

  it('invites a teammate who joins with the invited role', async () => {
    const owner = await signUpUser('Olive');
    const guest = await signUpUser('Gus');
    const { id } = await owner.client.workspaces.create.mutate({ name: 'Team', slug: 'team' });

    const invite = await owner.client.members.invite.mutate({
      workspaceId: id,
      email: guest.email.toUpperCase(),
      role: 'member',
    });
    // Only a verified address may accept an invite: prove it from the mail, as a person does.
    await verifyEmailByMail(server, guest.email);
    const joined = await guest.client.members.acceptInvite.mutate({
      inviteToken: invite.inviteToken,
    });

    expect(joined).toMatchObject({ workspaceId: id, userId: guest.user.id, role: 'member' });
    const members = await owner.client.members.list.query({ workspaceId: id });
    expect(members.map((m) => [m.name, m.role])).toEqual([
      ['Olive', 'owner'],
      ['Gus', 'member'],
    ]);
    const reuse = await errorOf(
      guest.client.members.acceptInvite.mutate({ inviteToken: invite.inviteToken }),
    );
    expect(reuse.data?.code).toBe('NOT_FOUND');
  });

  it('lets a program use a read-only API token inside its workspace only', async () => {
    const owner = await signUpUser('Olive');
    const { id } = await owner.client.workspaces.create.mutate({ name: 'Ops', slug: 'ops' });
    const other = await owner.client.workspaces.create.mutate({ name: 'Other', slug: 'other' });
    const created = await owner.client.apiTokens.create.mutate({
      workspaceId: id,
      name: 'CI reader',
      scope: 'read',
    });
    expect(created.token).toMatch(/^trl_[a-z2-9]{56}$/);

    const machine = createClient({ url: server.url, token: created.token });
    expect((await machine.workspaces.get.query({ workspaceId: id })).role).toBe('viewer');
    const write = await errorOf(machine.workspaces.update.mutate({ workspaceId: id, name: 'X' }));
    expect(write.data?.code).toBe('FORBIDDEN');
    const elsewhere = await errorOf(machine.workspaces.get.query({ workspaceId: other.id }));
    expect(elsewhere.data?.code).toBe('NOT_FOUND');

    await owner.client.apiTokens.revoke.mutate({ workspaceId: id, tokenId: created.id });
    const revoked = await errorOf(machine.workspaces.get.query({ workspaceId: id }));
    expect(revoked.data?.code).toBe('UNAUTHORIZED');
    const [listed] = await owner.client.apiTokens.list.query({ workspaceId: id });
    expect(listed).toMatchObject({
      id: created.id,
      name: 'CI reader',
      revokedAt: expect.any(String),
    });
    expect(JSON.stringify(listed)).not.toContain(created.token.slice(28));
  });
});
