// `pnpm seed`: adds a demo workspace full of tasks to the configured database.
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createPasswordUser, hashPassword, normalizeEmail } from '@trellis/auth';
import {
  createDatabase,
  type Database,
  DEFAULT_PROJECT_STATES,
  type Kysely,
  migrateToLatest,
  newId,
  STATUS_OF_CATEGORY,
  TASK_STATUSES,
  type TaskStatus,
} from '@trellis/db';
import { sql } from 'kysely';
import { ConfigError, loadConfig } from './config.js';
import { DEMO_PASSWORD, DEMO_PROJECTS, DEMO_USERS, seededRandom } from './seed-data.js';
import { demoRows, SPAN_MS } from './seed-rows.js';

const USAGE = `Usage: pnpm seed [--tasks N]

Adds a demo workspace to the database that DATABASE_URL names (default
file:./data/trellis.db), migrating it first: ${DEMO_USERS.length} users, ${DEMO_PROJECTS.length} projects and N tasks
created over the last 90 days, with labels, due dates, comments and activity.
Each run adds a new workspace (demo, demo-2, ...); demo users who exist are reused.

Options:
  --tasks N    how many tasks to create (0 to 1000000; default 10000)
  -h, --help   show this help
`;

const DEFAULT_TASKS = 10_000;
const MAX_TASKS = 1_000_000;
/** Rows per INSERT: large enough to be fast, well under SQLite's 32,766 parameters. */
const CHUNK = 500;
const DAY_MS = 24 * 60 * 60 * 1000;
const iso = (ms: number) => new Date(ms).toISOString();

/** The database URL as printed: a PostgreSQL URL's password stays off the terminal. */
function printableUrl(url: string): string {
  if (!/^postgres(ql)?:\/\//.test(url)) return url;
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/** A mistake in the command line: reported with a hint, exit code 2. */
class UsageError extends Error {}

function parseOptions(argv: string[]): { help: boolean; tasks: number } {
  const { values } = parseArgs({
    args: argv,
    options: { tasks: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  const tasks = values.tasks === undefined ? DEFAULT_TASKS : Number(values.tasks);
  if (!/^\d+$/.test(values.tasks ?? '0') || !Number.isSafeInteger(tasks) || tasks > MAX_TASKS) {
    throw new UsageError(`--tasks must be a whole number from 0 to ${MAX_TASKS}`);
  }
  return { help: values.help === true, tasks };
}

/** Rewrites one stderr line as a phase advances. */
function progress(label: string, total: number) {
  const show = (done: number) => process.stderr.write(`\r  ${label} ${done}/${total}`);
  show(0);
  return { show, end: () => process.stderr.write('\n') };
}

function* chunks<T>(rows: readonly T[]): Generator<T[]> {
  for (let i = 0; i < rows.length; i += CHUNK) yield rows.slice(i, i + CHUNK);
}

/**
 * The demo users with their ids and roles, creating the missing ones (the password is
 * hashed once for all), and how many already existed.
 */
async function demoUsers(db: Kysely<Database>, now: Date) {
  const emails = DEMO_USERS.map((user) => normalizeEmail(user.email));
  const rows = await db
    .selectFrom('users')
    .select(['id', 'email'])
    .where('email', 'in', emails)
    .execute();
  const ids = new Map(rows.map((row) => [row.email, row.id]));
  const missing = DEMO_USERS.filter((user) => !ids.has(normalizeEmail(user.email)));
  const passwordHash = missing.length > 0 ? await hashPassword(DEMO_PASSWORD) : '';
  for (const { email, name } of missing) {
    const user = await createPasswordUser(db, { email, name, passwordHash }, now);
    ids.set(user.email, user.id);
  }
  const members = DEMO_USERS.map((user) => {
    const id = ids.get(normalizeEmail(user.email));
    if (id === undefined) throw new Error(`demo user ${user.email} was not created`);
    return { id, role: user.role };
  });
  return { members, reused: rows.length };
}

/** `demo`, or `demo-2`, `demo-3`, ... whichever is free first. */
async function freeSlug(db: Kysely<Database>): Promise<string> {
  const rows = await db
    .selectFrom('workspaces')
    .select('slug')
    .where((eb) => eb.or([eb('slug', '=', 'demo'), eb('slug', 'like', 'demo-%')]))
    .execute();
  const taken = new Set(rows.map((row) => row.slug));
  for (let n = 1; ; n += 1) {
    const slug = n === 1 ? 'demo' : `demo-${n}`;
    if (!taken.has(slug)) return slug;
  }
}

/** Seeds one demo workspace inside one transaction: all of it, or (on error) none. */
async function seed(db: Kysely<Database>, taskCount: number, now: Date) {
  const nowMs = now.getTime();
  return db.transaction().execute(async (trx) => {
    const { members, reused } = await demoUsers(trx, now);
    const workspace = { id: newId(), name: 'Demo Co', slug: await freeSlug(trx) };
    const setUpAt = iso(nowMs - SPAN_MS - DAY_MS);
    await trx
      .insertInto('workspaces')
      .values({ ...workspace, created_at: setUpAt, updated_at: setUpAt })
      .execute();
    await trx
      .insertInto('memberships')
      .values(
        members.map((member) => ({
          workspace_id: workspace.id,
          user_id: member.id,
          role: member.role,
          created_at: setUpAt,
        })),
      )
      .execute();
    const projects = DEMO_PROJECTS.map((project) => ({
      ...project,
      id: newId(),
      // The default states, one per status (what projects.create gives a project).
      states: Object.fromEntries(TASK_STATUSES.map((status) => [status, newId()])) as Record<
        TaskStatus,
        string
      >,
    }));
    const workers = members.filter((m) => m.role !== 'viewer').map((m) => m.id);
    const rows = demoRows(seededRandom(2030), nowMs, workspace.id, projects, workers, taskCount);
    await trx
      .insertInto('projects')
      .values(
        projects.map((project) => ({
          id: project.id,
          workspace_id: workspace.id,
          key: project.key,
          name: project.name,
          next_task_number: (rows.numbers.get(project.id) ?? 0) + 1,
          created_at: setUpAt,
          updated_at: setUpAt,
        })),
      )
      .execute();
    await trx
      .insertInto('project_states')
      .values(
        projects.flatMap((project) =>
          DEFAULT_PROJECT_STATES.map((state, index) => ({
            id: project.states[STATUS_OF_CATEGORY[state.category]],
            workspace_id: workspace.id,
            project_id: project.id,
            name: state.name,
            category: state.category,
            position: index + 1,
            created_at: setUpAt,
            updated_at: setUpAt,
          })),
        ),
      )
      .execute();
    const tasks = progress('tasks', rows.tasks.length);
    let done = 0;
    for (const chunk of chunks(rows.tasks)) {
      await trx.insertInto('tasks').values(chunk).execute();
      done += chunk.length;
      tasks.show(done);
    }
    tasks.end();
    for (const chunk of chunks(rows.labels)) {
      await trx.insertInto('task_labels').values(chunk).execute();
    }
    for (const chunk of chunks(rows.comments)) {
      await trx.insertInto('comments').values(chunk).execute();
    }
    for (const chunk of chunks(rows.activity)) {
      await trx.insertInto('activity').values(chunk).execute();
    }
    // The last entry number handed out, as recordActivity would have left it.
    await trx
      .updateTable('workspaces')
      .set({ activity_seq: rows.activity.length })
      .where('id', '=', workspace.id)
      .execute();
    return {
      workspace,
      reused,
      tasks: rows.tasks.length,
      comments: rows.comments.length,
      activity: rows.activity.length,
    };
  });
}

/** The options, or null after printing what is wrong with them (exit code 2). */
function optionsOrNull(argv: string[]): { help: boolean; tasks: number } | null {
  try {
    return parseOptions(argv);
  } catch (error) {
    // parseArgs throws TypeErrors coded ERR_PARSE_ARGS_* for unknown or malformed options.
    if (!(error instanceof UsageError || error instanceof TypeError)) throw error;
    console.error(`${error.message}\nRun with --help for usage.`);
    process.exitCode = 2;
    return null;
  }
}

async function main(): Promise<void> {
  const options = optionsOrNull(process.argv.slice(2));
  if (!options) return;
  if (options.help) {
    process.stdout.write(USAGE);
    return;
  }
  const config = loadConfig(process.env);
  const started = performance.now();
  const db = createDatabase(config.databaseUrl);
  try {
    await migrateToLatest(db);
    const result = await seed(db, options.tasks, new Date());
    // Fresh statistics for the planner: a bulk load is exactly when they go stale.
    await sql`analyze`.execute(db);
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    const { name, slug } = result.workspace;
    console.log(
      `Seeded workspace "${name}" (${slug}) in ${printableUrl(config.databaseUrl)} in ${seconds} s: ` +
        `${DEMO_PROJECTS.length} projects, ${result.tasks} tasks, ${result.comments} comments, ` +
        `${result.activity} activity entries.`,
    );
    if (result.reused > 0) {
      console.log(`${result.reused} demo users existed already and keep their passwords.`);
    }
    console.log(`Sign in with the password "${DEMO_PASSWORD}" as:`);
    for (const user of DEMO_USERS) {
      console.log(`  ${user.email.padEnd(24)} ${user.name.padEnd(20)} ${user.role}`);
    }
  } finally {
    await db.destroy();
  }
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  console.error(error instanceof ConfigError ? message : `Seeding failed: ${message}`);
  process.exitCode = 1;
});
