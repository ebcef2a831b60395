import SQLite from 'better-sqlite3';

/** The seeded things the workloads address. */
export interface Fixture {
  workspaceId: string;
  /** The largest demo project (ENG): lists filter on it, creates go to it. */
  projectId: string;
  /** A random sample of the workspace's tasks, for point reads. */
  taskIds: string[];
  /** The workspace's owner, to sign in as. */
  email: string;
}

/** The password of every demo user (apps/server/src/seed-data.ts). */
export const DEMO_PASSWORD = 'correct horse battery staple';

/** Reads the seeded ids straight from the file, read-only, before any server opens it. */
export function readFixture(file: string, sampleSize = 1000): Fixture {
  const db = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    const one = <T>(sql: string, ...params: string[]) => {
      const row = db.prepare<string[], T>(sql).get(...params);
      if (row === undefined) throw new Error(`the seeded database has no answer to: ${sql}`);
      return row;
    };
    const { id: workspaceId } = one<{ id: string }>(
      "select id from workspaces where slug = 'demo'",
    );
    const { id: projectId } = one<{ id: string }>(
      "select id from projects where workspace_id = ? and key = 'ENG'",
      workspaceId,
    );
    const { email } = one<{ email: string }>(
      `select users.email from memberships join users on users.id = memberships.user_id
       where memberships.workspace_id = ? and memberships.role = 'owner'`,
      workspaceId,
    );
    const taskIds = db
      .prepare<[string, number], { id: string }>(
        'select id from tasks where workspace_id = ? order by random() limit ?',
      )
      .all(workspaceId, sampleSize)
      .map((row) => row.id);
    if (taskIds.length === 0) throw new Error('the seeded database has no tasks');
    return { workspaceId, projectId, taskIds, email };
  } finally {
    db.close();
  }
}
