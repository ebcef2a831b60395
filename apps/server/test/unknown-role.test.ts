// A role this version does not know grants nothing. The database's CHECK constraint keeps
// unknown roles out of `memberships` today; a row can still hold one when the constraint
// moved on without the code (a newer version added a role, then the server was rolled
// back), which is what this test builds: it lifts the constraint on its own throwaway
// database, gives a member the role `guest`, and calls over HTTP as that member.
import { dialectOf } from '@trellis/db';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { serveThisFile } from './support/http.js';
import { type AuthResult, dataOf, expectError, PASSWORD } from './support/wire.js';

const wire = serveThisFile();

/** One tRPC call with a bearer token: a mutation, or a query with `GET`. */
function call(path: string, input: unknown, token: string, method: 'GET' | 'POST' = 'POST') {
  return method === 'GET'
    ? wire.query(path, input, { token })
    : wire.mutate(path, input, { token });
}

async function signUp(email: string): Promise<AuthResult> {
  return dataOf<AuthResult>(
    await wire.mutate('auth.signUp', { email, password: PASSWORD, name: 'Ada' }),
  );
}

/** Writes a membership whatever its role, past the CHECK constraint. */
async function addMembership(workspaceId: string, userId: string, role: string) {
  const { db } = wire.server;
  const row = sql`insert into memberships (workspace_id, user_id, role, created_at)
    values (${workspaceId}, ${userId}, ${role}, ${new Date().toISOString()})`;
  if (dialectOf(db) === 'postgres') {
    const { rows } = await sql<{ name: string }>`select conname as name from pg_constraint
      where conrelid = 'memberships'::regclass and contype = 'c'`.execute(db);
    for (const { name } of rows) {
      await sql`alter table memberships drop constraint ${sql.id(name)}`.execute(db);
    }
    await row.execute(db);
    return;
  }
  // SQLite: one connection, so the pragma covers exactly this insert.
  await sql`pragma ignore_check_constraints = on`.execute(db);
  try {
    await row.execute(db);
  } finally {
    await sql`pragma ignore_check_constraints = off`.execute(db);
  }
}

describe('a role this version does not know', () => {
  it('meets no minimum: not admin, not member, not even viewer', async () => {
    const owner = await signUp('owner@example.com');
    const guest = await signUp('guest@example.com');
    const workspace = dataOf<{ id: string }>(
      await call('workspaces.create', { name: 'Acme', slug: 'acme' }, owner.session.token),
    );
    await addMembership(workspace.id, guest.user.id, 'guest');
    const token = guest.session.token;

    const asAdmin = await call(
      'projects.create',
      { workspaceId: workspace.id, name: 'Sneaky', key: 'SNK' },
      token,
    );
    expectError(asAdmin, 403, 'FORBIDDEN');
    expectError(
      await call('tasks.list', { workspaceId: workspace.id }, token, 'GET'),
      403,
      'FORBIDDEN',
    );
    expectError(
      await call('members.list', { workspaceId: workspace.id }, token, 'GET'),
      403,
      'FORBIDDEN',
    );

    // Nothing was made on the guest's behalf.
    const projects = await wire.server.db
      .selectFrom('projects')
      .select('id')
      .where('workspace_id', '=', workspace.id)
      .execute();
    expect(projects).toEqual([]);
  });
});
