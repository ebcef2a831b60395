// `pnpm dev`: the API server from its TypeScript sources (tsx watch: restarts on change)
// and the dashboard's Vite dev server (hot reload; it proxies /trpc, /api, /auth and
// /healthz to the API, so the browser sees one origin, as in production).
//
// A script rather than `turbo run dev`: the server keeps running from the repository root
// (DATABASE_URL's default ./data/trellis.db is the file `pnpm seed` fills), and PORT and
// the other settings reach it unfiltered by turbo's strict environment mode.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dashboard = fileURLToPath(new URL('../apps/dashboard/', import.meta.url));
const tsxCli = createRequire(`${root}package.json`).resolve('tsx/cli');
const viteCli = binOf(createRequire(`${dashboard}package.json`), 'vite');
// biome-ignore lint/suspicious/noUndeclaredEnvVars: pnpm runs this script, not turbo.
const apiPort = process.env.PORT || '3000';
// biome-ignore lint/suspicious/noUndeclaredEnvVars: pnpm runs this script, not turbo.
const publicUrl = process.env.PUBLIC_URL || 'http://localhost:5173';

/**
 * The command-line entry a package declares (its exports may not list it).
 * @param {NodeJS.Require} require
 * @param {string} name
 */
function binOf(require, name) {
  const manifest = require.resolve(`${name}/package.json`);
  const { bin } = require(manifest);
  return join(dirname(manifest), typeof bin === 'string' ? bin : bin[name]);
}

/** @type {import('node:child_process').ChildProcess[]} */
const children = [];
let stopping = false;
let exitCode = 0;

/**
 * @param {string} name
 * @param {string[]} args
 * @param {{ cwd: string, env?: Record<string, string>, stdin: 'inherit' | 'ignore' }} options
 */
function start(name, args, { cwd, env = {}, stdin }) {
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: [stdin, 'inherit', 'inherit'],
  });
  children.push(child);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      // One half without the other is not a working dev setup: stop both.
      console.error(`[dev] ${name} exited (${signal ?? `code ${code}`}); stopping`);
      exitCode = code || 1;
      stop('SIGTERM');
    }
    if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) {
      process.exit(exitCode);
    }
  });
}

/** @param {NodeJS.Signals} signal */
function stop(signal) {
  stopping = true;
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  }
}

// Ctrl-C reaches the children from the terminal too; the server finishes in-flight requests.
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));

console.log(`[dev] API on http://localhost:${apiPort}, dashboard with hot reload from Vite below`);
start(
  'server',
  [
    tsxCli,
    'watch',
    '--clear-screen=false',
    '--conditions=@trellis/source',
    'apps/server/src/main.ts',
  ],
  // Links in mails (verification, password reset) open the dashboard on Vite.
  {
    cwd: root,
    env: { PUBLIC_URL: publicUrl },
    stdin: 'ignore',
  },
);
start('dashboard', [viteCli], {
  cwd: dashboard,
  env: { TRELLIS_API_PORT: apiPort },
  stdin: 'inherit',
});
