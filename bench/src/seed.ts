import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import SQLite from 'better-sqlite3';
import { paths } from './paths.js';
import { progress } from './progress.js';

const MAX_CACHE_AGE_MS = 7 * 24 * 60 * 60 * 1000;

/** A seeded database file, and how long seeding took (null when it came from the cache). */
export interface Seeded {
  file: string;
  seedSeconds: number | null;
}

/**
 * What the seeded data depends on: the built seed and migrations. A cached file made by
 * other code is stale, whatever its task count.
 */
function seedFingerprint(): string {
  const hash = createHash('sha256');
  const serverDist = dirname(paths.seed);
  const migrations = join(paths.root, 'packages/db/dist/migrations');
  const files = [
    ...['seed.js', 'seed-rows.js', 'seed-data.js'].map((name) => join(serverDist, name)),
    ...readdirSync(migrations)
      .filter((name) => name.endsWith('.js'))
      .sort()
      .map((name) => join(migrations, name)),
  ];
  for (const file of files) hash.update(basename(file)).update(readFileSync(file));
  return hash.digest('hex').slice(0, 12);
}

/** Runs the production seed (`node apps/server/dist/seed.js`) into `file`. */
function runSeed(file: string, tasks: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [paths.seed, '--tasks', String(tasks)], {
      env: { ...process.env, DATABASE_URL: `file:${file}`, LOG_LEVEL: 'warn' },
      // The seed's own progress line (stderr) shows while it runs.
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`seeding ${tasks} tasks failed (exit ${code}):\n${output}`));
    });
  });
}

/** Folds the write-ahead log into the file, so that the file alone is the database. */
function settle(file: string): void {
  const db = new SQLite(file);
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.pragma('journal_mode = DELETE');
  } finally {
    db.close();
  }
}

async function seedInto(file: string, tasks: number): Promise<number> {
  progress(`seeding ${tasks} tasks (node apps/server/dist/seed.js)…`);
  const started = performance.now();
  await runSeed(file, tasks);
  const seconds = (performance.now() - started) / 1000;
  settle(file);
  progress(`seeded ${tasks} tasks in ${seconds.toFixed(1)} s`);
  return seconds;
}

/**
 * A database seeded with `tasks` tasks. From bench/.cache when `cache` (seeding it there
 * first if missing, stale or `fresh` is asked for), otherwise seeded into `dir`. Callers copy cached files
 * before a server writes to them.
 */
export async function seededDatabase(
  tasks: number,
  { cache, fresh, dir }: { cache: boolean; fresh: boolean; dir: string },
): Promise<Seeded> {
  if (!cache) {
    const file = join(dir, `seed-${tasks}.db`);
    return { file, seedSeconds: await seedInto(file, tasks) };
  }
  mkdirSync(paths.cache, { recursive: true });
  const prefix = `tasks-${tasks}-`;
  const file = join(paths.cache, `${prefix}${seedFingerprint()}.db`);
  // The seed dates tasks relative to its run (the last 90 days), and stats.overview counts
  // the last 30: a cached file serves for a week.
  const young = existsSync(file) && Date.now() - statSync(file).mtimeMs < MAX_CACHE_AGE_MS;
  if (young && !fresh) return { file, seedSeconds: null };
  // Stale files for this count go first: at a million tasks one is several GB.
  for (const name of readdirSync(paths.cache)) {
    if (name.startsWith(prefix)) rmSync(join(paths.cache, name), { force: true });
  }
  const partial = `${file}.partial`;
  const seconds = await seedInto(partial, tasks);
  renameSync(partial, file);
  return { file, seedSeconds: seconds };
}
