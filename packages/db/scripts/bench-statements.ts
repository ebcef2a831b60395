// Micro-benchmark of the prepared-statement cache (not a test): point reads by id and a
// tasks.list-shaped page through Kysely, with the cache off (statementCacheSize: 0, what
// Kysely's SqliteDialect does alone) and on, on one seeded SQLite file.
//
//   cd packages/db && npx tsx scripts/bench-statements.ts [--tasks 200000] [--n 100000]
//     [--pages 10000] [--rounds 3] [--analyze]
//
// --analyze runs ANALYZE after seeding. Without statistics SQLite plans the `id in (…50)`
// and labels queries of a list page as scans of the whole workspace (tens of ms at 200k
// tasks), which hides everything else; with them each page is well under a millisecond.
//
// Modes alternate round by round so that drift (CPU heat, page cache) hits both alike.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import SQLite from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { createDatabase } from '../src/database.js';
import { newId } from '../src/ids.js';
import { migrateToLatest } from '../src/migrate.js';
import type { Database } from '../src/schema.js';

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '200000' },
    n: { type: 'string', default: '100000' },
    pages: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '3' },
    analyze: { type: 'boolean', default: false },
  },
});
const TASKS = Number(values.tasks);
const N = Number(values.n);
const LIST_N = Number(values.pages);
const ROUNDS = Number(values.rounds);
const STATUSES = ['backlog', 'todo', 'in_progress', 'done', 'canceled'] as const;
const LABELS = ['bug', 'feature', 'docs', 'ops', 'design', 'urgent'];

/** A deterministic PRNG (mulberry32), so both modes read the same ids. */
function prng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function seed(url: string, filename: string): Promise<string[]> {
  const db = createDatabase(url);
  await migrateToLatest(db);
  await db.destroy();
  const sqlite = new SQLite(filename);
  const random = prng(1);
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  const ids: string[] = [];
  sqlite.transaction(() => {
    const at = iso(now);
    const users = ['u1', 'u2', 'u3', 'u4'];
    for (const id of users) {
      sqlite
        .prepare(
          'insert into users (id, email, name, created_at, updated_at) values (?, ?, ?, ?, ?)',
        )
        .run(id, `${id}@example.com`, id, at, at);
    }
    sqlite
      .prepare(
        'insert into workspaces (id, name, slug, created_at, updated_at) values (?, ?, ?, ?, ?)',
      )
      .run('w1', 'Bench', 'bench', at, at);
    const projects = ['p1', 'p2', 'p3'];
    for (const [i, id] of projects.entries()) {
      sqlite
        .prepare(
          'insert into projects (id, workspace_id, key, name, created_at, updated_at) values (?, ?, ?, ?, ?, ?)',
        )
        .run(id, 'w1', `P${i}`, id, at, at);
    }
    const task = sqlite.prepare(
      `insert into tasks (id, workspace_id, project_id, number, title, description, status,
         priority, assignee_id, due_at, created_by, created_at, updated_at, completed_at)
       values (?, 'w1', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, null)`,
    );
    const label = sqlite.prepare(
      `insert into task_labels (task_id, workspace_id, label) values (?, 'w1', ?)`,
    );
    for (let i = 0; i < TASKS; i++) {
      const id = newId();
      ids.push(id);
      const created = iso(now - (TASKS - i) * 30_000);
      const status = STATUSES[Math.floor(random() * STATUSES.length)];
      const assignee = random() < 0.85 ? users[Math.floor(random() * users.length)] : null;
      const due = random() < 0.45 ? iso(now + Math.floor(random() * 40) * 86_400_000) : null;
      const project = projects[i % projects.length];
      const title = `Task ${i} about ${LABELS[i % LABELS.length]}`;
      const priority = Math.floor(random() * 5);
      const author = users[i % users.length];
      const fields = [title, 'words '.repeat(20), status, priority, assignee, due, author];
      task.run(id, project, i + 1, ...fields, created, created);
      if (random() < 0.6) label.run(id, LABELS[Math.floor(random() * LABELS.length)]);
    }
  })();
  if (values.analyze) sqlite.exec('analyze');
  sqlite.close();
  return ids;
}

async function pointReads(db: Kysely<Database>, ids: string[], count: number) {
  const random = prng(2);
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const id = ids[Math.floor(random() * ids.length)] as string;
    const row = await db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirst();
    if (row === undefined) throw new Error(`task ${id} not found`);
  }
  return count / (Number(process.hrtime.bigint() - start) / 1e9);
}

/**
 * The queries tasks.list runs for one page in its default order (newest first) after a
 * cursor: keyset ids, then the views and labels of those 50 tasks.
 */
async function listPage(db: Kysely<Database>, before: string) {
  const page = await db
    .selectFrom('tasks')
    .select(['tasks.id', 'tasks.created_at as sortKey'])
    .where((eb) =>
      eb.and([
        eb('tasks.workspace_id', '=', 'w1'),
        eb('tasks.created_at', '<=', before),
        eb.or([eb('tasks.created_at', '<', before), eb('tasks.id', '<', 'zzzz')]),
      ]),
    )
    .orderBy('tasks.created_at', 'desc')
    .orderBy('tasks.id', 'desc')
    .limit(51)
    .execute();
  const ids = page.slice(0, 50).map((row) => row.id);
  if (ids.length === 0) return 0;
  const rows = await db
    .selectFrom('tasks')
    .innerJoin('projects', 'projects.id', 'tasks.project_id')
    .select([
      'tasks.id',
      'tasks.workspace_id as workspaceId',
      'tasks.project_id as projectId',
      'tasks.number',
      'projects.key as projectKey',
      'tasks.title',
      'tasks.description',
      'tasks.status',
      'tasks.priority',
      'tasks.assignee_id as assigneeId',
      'tasks.due_at as dueAt',
      'tasks.version',
      'tasks.created_by as createdBy',
      'tasks.created_at as createdAt',
      'tasks.updated_at as updatedAt',
      'tasks.completed_at as completedAt',
    ])
    .where('tasks.workspace_id', '=', 'w1')
    .where('tasks.id', 'in', ids)
    .execute();
  await db
    .selectFrom('task_labels')
    .select(['task_id', 'label'])
    .where('workspace_id', '=', 'w1')
    .where('task_id', 'in', ids)
    .orderBy('label')
    .execute();
  return rows.length;
}

async function lists(db: Kysely<Database>, count: number) {
  const random = prng(3);
  const now = Date.now();
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const before = new Date(now - Math.floor(random() * TASKS * 30_000)).toISOString();
    await listPage(db, before);
  }
  return count / (Number(process.hrtime.bigint() - start) / 1e9);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-bench-stmt-'));
  const filename = join(dir, 'bench.db');
  const url = `file:${filename}`;
  try {
    process.stdout.write(`seeding ${TASKS} tasks… `);
    const ids = await seed(url, filename);
    console.log('done');
    const modes = [
      { name: 'uncached (Kysely alone)', statementCacheSize: 0 },
      { name: 'cached (500 statements)', statementCacheSize: 500 },
    ];
    const results = modes.map(() => ({ point: [] as number[], list: [] as number[] }));
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [m, mode] of modes.entries()) {
        const db = createDatabase(url, { statementCacheSize: mode.statementCacheSize });
        await pointReads(db, ids, Math.min(5000, N)); // warm-up: JIT and page cache
        await lists(db, Math.min(500, Math.ceil(LIST_N / 10)));
        const point = await pointReads(db, ids, N);
        const list = await lists(db, LIST_N);
        await db.destroy();
        results[m]?.point.push(point);
        results[m]?.list.push(list);
        console.log(
          `round ${round} ${mode.name}: point ${fmt(point)} ops/s, list ${fmt(list)} pages/s`,
        );
      }
    }
    const stats = values.analyze ? 'analyzed' : 'no ANALYZE';
    console.log(`\nmedian of ${ROUNDS} rounds, ${TASKS} tasks (${stats}), Node ${process.version}`);
    console.log(`workload                     | uncached | cached | ratio`);
    for (const key of ['point', 'list'] as const) {
      const [off, on] = results.map((r) => median(r[key]));
      const label =
        key === 'point' ? `point select by id (N=${N})` : `list page, 3 queries (N=${LIST_N})`;
      console.log(
        `${label.padEnd(28)} | ${fmt(off ?? 0).padStart(8)} | ${fmt(on ?? 0).padStart(6)} | ${((on ?? 0) / (off ?? 1)).toFixed(2)}x`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
