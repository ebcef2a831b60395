import { insertUserRow, insertWithFreeHandle } from '@trellis/auth';
import {
  type ActivityTable,
  type CommentsTable,
  type Database,
  dialectOf,
  type Kysely,
  type ProjectStatesTable,
  type ProjectsTable,
  type Role,
  type TaskLabelsTable,
  type TaskRelationsTable,
  type TasksTable,
} from '@trellis/db';
import { type Insertable, sql } from 'kysely';

// What a workspace import writes: rows already remapped to their new ids, in batches.
// The new workspace has no member until the last step, so nobody sees it half-made.

type Db = Kysely<Database>;

/** Rows per INSERT: well under SQLite's 32,766 and PostgreSQL's 65,535 parameters. */
export const ROWS_PER_STATEMENT = 500;

async function insertInChunks<T>(rows: readonly T[], insert: (chunk: T[]) => Promise<unknown>) {
  for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
    await insert(rows.slice(start, start + ROWS_PER_STATEMENT));
  }
}

/** SQLite page cache while an import writes (KiB): 64 MiB rather than the default 2 MiB. */
const IMPORT_CACHE_KIB = 65_536;

/**
 * Runs `work` with a larger SQLite page cache: an import inserts rows at random places of
 * every index (ids are random), and with the default 2 MiB cache each batch rewrites pages
 * it had just evicted (100,000 tasks: 61 s with the default, 46 s with this). The cache is
 * the connection's, so it is set back afterwards. PostgreSQL: nothing to do.
 */
export async function withImportCache<T>(db: Db, work: () => Promise<T>): Promise<T> {
  if (dialectOf(db) !== 'sqlite') return work();
  const row = (await sql<{ cache_size: number }>`pragma cache_size`.execute(db)).rows[0];
  await sql.raw(`pragma cache_size = -${IMPORT_CACHE_KIB}`).execute(db);
  try {
    return await work();
  } finally {
    await sql
      .raw(`pragma cache_size = ${Math.trunc(Number(row?.cache_size ?? -2000))}`)
      .execute(db);
  }
}

export async function slugTaken(db: Db, slug: string): Promise<boolean> {
  const row = await db
    .selectFrom('workspaces')
    .select('id')
    .where('slug', '=', slug)
    .executeTakeFirst();
  return row !== undefined;
}

export async function insertBareWorkspace(
  db: Db,
  workspace: { id: string; name: string; slug: string; createdAt: string },
): Promise<void> {
  await db
    .insertInto('workspaces')
    .values({
      id: workspace.id,
      name: workspace.name,
      slug: workspace.slug,
      created_at: workspace.createdAt,
      updated_at: workspace.createdAt,
    })
    .execute();
}

/** Ids of the accounts with these (normalised) emails. */
export async function usersByEmail(db: Db, emails: readonly string[]) {
  if (emails.length === 0) return new Map<string, string>();
  const rows = await db
    .selectFrom('users')
    .select(['id', 'email'])
    .where('email', 'in', emails)
    .execute();
  return new Map(rows.map((row) => [row.email, row.id]));
}

/**
 * Which of `userIds` the importer may bring into a workspace: themself, and the people they
 * already share a workspace with (who see each other in members.list already). Anyone else
 * would be added to a workspace they never agreed to join, and their name shown to the
 * importer.
 */
export async function colleaguesOf(db: Db, importerId: string, userIds: readonly string[]) {
  const known = new Set<string>([importerId]);
  const others = userIds.filter((id) => id !== importerId);
  if (others.length === 0) return known;
  const rows = await db
    .selectFrom('memberships as mine')
    .innerJoin('memberships as theirs', 'theirs.workspace_id', 'mine.workspace_id')
    .select('theirs.user_id')
    .distinct()
    .where('mine.user_id', '=', importerId)
    .where('theirs.user_id', 'in', others)
    .execute();
  for (const row of rows) known.add(row.user_id);
  return known;
}

/**
 * New accounts without a password and with the email unverified, each with a free handle
 * made from its email as sign-up makes it (one row at a time: each sees the handles given
 * before it).
 */
export async function insertAccounts(
  db: Db,
  users: readonly { id: string; email: string; name: string }[],
  at: string,
): Promise<void> {
  for (const u of users) {
    await insertWithFreeHandle(db, u.email, (handle) =>
      insertUserRow(db, {
        id: u.id,
        email: u.email,
        name: u.name,
        handle,
        password_hash: null,
        email_verified_at: null,
        created_at: at,
        updated_at: at,
      }),
    );
  }
}

export const insertProjects = (db: Db, rows: Insertable<ProjectsTable>[]) =>
  insertInChunks(rows, (chunk) => db.insertInto('projects').values(chunk).execute());

export const insertStates = (db: Db, rows: Insertable<ProjectStatesTable>[]) =>
  insertInChunks(rows, (chunk) => db.insertInto('project_states').values(chunk).execute());

export const insertTasks = (db: Db, rows: Insertable<TasksTable>[]) =>
  insertInChunks(rows, (chunk) => db.insertInto('tasks').values(chunk).execute());

export const insertLabels = (db: Db, rows: Insertable<TaskLabelsTable>[]) =>
  insertInChunks(rows, (chunk) => db.insertInto('task_labels').values(chunk).execute());

export const insertRelations = (db: Db, rows: Insertable<TaskRelationsTable>[]) =>
  insertInChunks(rows, (chunk) => db.insertInto('task_relations').values(chunk).execute());

export const insertComments = (db: Db, rows: Insertable<CommentsTable>[]) =>
  insertInChunks(rows, (chunk) => db.insertInto('comments').values(chunk).execute());

export const insertActivity = (db: Db, rows: Insertable<ActivityTable>[]) =>
  insertInChunks(rows, (chunk) => db.insertInto('activity').values(chunk).execute());

/** Sets `parent_id` of each `[task, parent]` pair (the parents may have come later in the file). */
export const setParents = (db: Db, pairs: readonly (readonly [string, string])[]) =>
  insertInChunks(pairs, (chunk) => {
    const values = sql.join(chunk.map(([task, parent]) => sql`(${task}, ${parent})`));
    return sql`
      update tasks set parent_id = v.column2
      from (values ${values}) as v
      where tasks.id = v.column1
    `.execute(db);
  });

/** Each project's next task number: past its highest, and never below what the file said. */
export async function setNextTaskNumbers(db: Db, next: ReadonlyMap<string, number>) {
  for (const [projectId, number] of next) {
    await db
      .updateTable('projects')
      .set({ next_task_number: number })
      .where('id', '=', projectId)
      .execute();
  }
}

/** The workspace's log numbering goes on after the imported entries. */
export async function setActivitySeq(db: Db, workspaceId: string, seq: number) {
  await db
    .updateTable('workspaces')
    .set({ activity_seq: seq })
    .where('id', '=', workspaceId)
    .execute();
}

export async function insertMemberships(
  db: Db,
  workspaceId: string,
  members: readonly { userId: string; role: Role; createdAt: string }[],
) {
  await insertInChunks(members, (chunk) =>
    db
      .insertInto('memberships')
      .values(
        chunk.map((m) => ({
          workspace_id: workspaceId,
          user_id: m.userId,
          role: m.role,
          created_at: m.createdAt,
        })),
      )
      .execute(),
  );
}

/** Removes a failed import's workspace (everything in it goes with it) and the accounts it made. */
export async function removeImport(db: Db, workspaceId: string | null, userIds: readonly string[]) {
  await db.transaction().execute(async (trx) => {
    if (workspaceId !== null)
      await trx.deleteFrom('workspaces').where('id', '=', workspaceId).execute();
    await insertInChunks(userIds, (chunk) =>
      trx.deleteFrom('users').where('id', 'in', chunk).execute(),
    );
  });
}
