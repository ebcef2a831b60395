// `pnpm test`: build, type-check, lint, every test and the API check on SQLite; the
// reliability suites (`pnpm test:reliability`); then every test again on PostgreSQL — the
// same suite on both dialects. PostgreSQL is the one TRELLIS_TEST_POSTGRES_URL names, or a
// throwaway cluster started here when PostgreSQL is installed; without either, that pass is
// skipped (Node and npm alone give a full SQLite run). Exits non-zero when any pass fails.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { postgresBinDir, startThrowawayPostgres } from './throwaway-postgres.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const turbo = join(root, 'node_modules', '.bin', 'turbo');

/**
 * Run on SQLite only, each for a reason: the dashboard's browser tests drive the UI through
 * the same API the server suite already tests on PostgreSQL (a second Chromium pass would
 * add minutes and nothing else), and the bench smoke checks that the load generator runs.
 */
const SQLITE_ONLY = ['@trellis/dashboard', '@trellis/bench'];

/** Every workspace package folder, where Vitest leaves its JSON reports. */
function packageDirs() {
  const groups = ['apps', 'packages', 'tooling'].filter((group) => existsSync(join(root, group)));
  return [
    ...groups.flatMap((group) =>
      readdirSync(join(root, group)).map((name) => join(root, group, name)),
    ),
    join(root, 'examples'),
    join(root, 'bench'),
  ].filter((dir) => existsSync(dir));
}

/** Reports of an earlier run would be summed with this one's: start from none. */
function removeOldReports() {
  for (const dir of packageDirs()) {
    for (const file of readdirSync(dir)) {
      if (/^test-results(-[\w.-]+)?\.json$/.test(file)) rmSync(join(dir, file));
    }
  }
}

/**
 * Runs turbo with `args` and the test dialect in its environment; resolves with the exit
 * code. The dialect is part of the test tasks' hash (turbo.json), so turbo never replays
 * one dialect's results for the other.
 * @param {string[]} args
 * @param {Record<string, string>} env
 */
function runTurbo(args, env) {
  return new Promise((resolve) => {
    const child = spawn(turbo, args, {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, ...env },
    });
    child.on('error', (error) => {
      console.error(`could not run turbo: ${error.message}`);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(signal ? 1 : (code ?? 1)));
  });
}

/**
 * Whether something accepts connections at the URL's host and port (a clear line now
 * beats a connection error from every test file).
 * @param {string} url
 */
function reachable(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname || '127.0.0.1', port: Number(port) || 5432 });
    socket.setTimeout(3000);
    const done = (/** @type {boolean} */ ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/** The URL without its password, for printing. */
function redacted(url) {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/**
 * The PostgreSQL for the second pass: `{ url, stop }`, or `{ skipped }` saying why not.
 * @returns {Promise<{ url: string, stop: () => void } | { skipped: string }>}
 */
async function postgresForTests() {
  const given = process.env.TRELLIS_TEST_POSTGRES_URL;
  if (given) return { url: given, stop: () => undefined };
  const binDir = postgresBinDir();
  if (binDir === null) {
    return {
      skipped:
        'PostgreSQL pass skipped: no PostgreSQL here. Set TRELLIS_TEST_POSTGRES_URL to a ' +
        "superuser's URL, or install PostgreSQL (apt-get install postgresql) and run again.",
    };
  }
  console.log(`== starting a throwaway PostgreSQL (${binDir})`);
  return startThrowawayPostgres(binDir);
}

const started = Date.now();
const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(0)} s`;
removeOldReports();

console.log('\n== pass 1/3: build, typecheck, lint, test and api:check on SQLite');
const sqliteStarted = Date.now();
const sqlite = await runTurbo(
  ['run', 'build', 'typecheck', 'lint', 'test', 'api:check', '--continue'],
  {
    TRELLIS_TEST_DIALECT: 'sqlite',
  },
);
console.log(
  `== pass 1/3 (SQLite) ${sqlite === 0 ? 'passed' : 'FAILED'} in ${seconds(sqliteStarted)}`,
);

// The reliability suites (apps/server/reliability: fuzzing, protocol abuse, slow clients,
// kill -9, disk full, soak) after the others rather than beside them: they measure time and
// memory, which other suites running at once would disturb. SQLite only: crash safety and
// disk handling are about the embedded database's file, and the fuzzing exercises the
// procedures, whose PostgreSQL behaviour the second pass already tests.
console.log('\n== pass 2/3: reliability suites on SQLite (pnpm test:reliability)');
const reliabilityStarted = Date.now();
// --only: pass 1 built everything; CI forces turbo past its cache (TURBO_FORCE), which
// would otherwise build it all again before each later pass.
const reliability = await runTurbo(
  ['run', 'test:reliability', '--filter=@trellis/server', '--output-logs=new-only', '--only'],
  { TRELLIS_TEST_DIALECT: 'sqlite' },
);
console.log(
  `== pass 2/3 (reliability) ${reliability === 0 ? 'passed' : 'FAILED'} in ${seconds(reliabilityStarted)}`,
);

let postgres = 0;
const database = await postgresForTests().catch((error) => ({
  skipped: `PostgreSQL pass FAILED: could not start PostgreSQL: ${error.message}`,
  failed: true,
}));
if ('skipped' in database) {
  console.log(`\n== ${database.skipped}`);
  if ('failed' in database) postgres = 1;
} else {
  // Ctrl-C or a CI timeout must not leave the cluster running.
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      database.stop();
      process.exit(130);
    });
  }
  try {
    console.log(`\n== pass 3/3: tests on PostgreSQL at ${redacted(database.url)}`);
    console.log(`   (${SQLITE_ONLY.join(' and ')} run on SQLite only: see scripts/test.mjs)`);
    const postgresStarted = Date.now();
    if (!(await reachable(database.url))) {
      console.log(`== nothing answers at ${redacted(database.url)} (TRELLIS_TEST_POSTGRES_URL)`);
      postgres = 1;
    } else {
      const filters = SQLITE_ONLY.map((name) => `--filter=!${name}`);
      postgres = await runTurbo(['run', 'test', '--continue', '--only', ...filters], {
        TRELLIS_TEST_DIALECT: 'postgres',
        TRELLIS_TEST_POSTGRES_URL: database.url,
      });
    }
    const verdict = postgres === 0 ? 'passed' : 'FAILED';
    console.log(`== pass 3/3 (PostgreSQL) ${verdict} in ${seconds(postgresStarted)}`);
  } finally {
    database.stop();
  }
}

const passed = sqlite === 0 && reliability === 0 && postgres === 0;
console.log(`\n== pnpm test: ${passed ? 'passed' : 'FAILED'} in ${seconds(started)}`);
process.exit(passed ? 0 : 1);
