import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

// The server's scripts (main, the `trellis` CLI, seed, backup) as an operator runs them, each
// in a process of its own, from the bundles `pnpm build` writes to dist/ (scripts/bundle.mjs;
// the suites' globalSetup, scripts/ensure-bundle.mjs, makes them first when missing or
// stale). Started from source with tsx instead, each start compiled the server anew: ~7 s
// even on an idle machine, which a busy one stretched past the tests' deadlines.

/** A script of src/ that scripts/bundle.mjs bundles into dist/<script>.js. */
export type Script = 'main' | 'cli' | 'seed' | 'backup' | 'migrate';

/** A started script, its output piped to this process. */
export type ScriptProcess = ChildProcess & { stdout: Readable; stderr: Readable };

// A test that fails or times out never stops what it started: its processes end with the
// test worker, not with the machine.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts dist/<script>.js with `args`, `env` on top of this process's environment. */
export function spawnScript(
  script: Script,
  args: string[],
  env: Record<string, string>,
  options: SpawnOptions = {},
): ScriptProcess {
  const path = fileURLToPath(new URL(`../../dist/${script}.js`, import.meta.url));
  // The server as package.json's start script runs it; the other scripts as plain `node`.
  const flags = script === 'main' ? ['--optimize-for-size'] : [];
  const child = spawn(process.execPath, [...flags, path, ...args], {
    env: { ...process.env, ...env },
    ...options,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (!child.stdout || !child.stderr) throw new Error('spawned without output pipes');
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child as ScriptProcess;
}

/** What a script that ran to its end printed, and its exit code. */
export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Resolves when `child` has exited and closed its output, with what it printed. */
export function finished(child: ScriptProcess): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** Runs `script` to its end (see {@link spawnScript}). */
export function runScript(
  script: Script,
  args: string[],
  env: Record<string, string>,
  options: SpawnOptions = {},
): Promise<Finished> {
  return finished(spawnScript(script, args, env, options));
}

/** A running server process. */
export interface MainProcess {
  child: ChildProcess;
  /** Resolves with its base URL once it logs that it listens; rejects if it exits first. */
  listening: Promise<string>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/**
 * Starts the server (or `script` with `args`, e.g. `cli` with `serve`) on 127.0.0.1 and a
 * free port with `env` on top of this process's environment (LOG_LEVEL info: the listening
 * line is how its URL is found).
 */
export function startMainProcess(
  env: Record<string, string>,
  { script = 'main', args = [] }: { script?: Script; args?: string[] } = {},
): MainProcess {
  const processEnv = { LOG_LEVEL: 'info', PORT: '0', HOST: '127.0.0.1', ...env };
  const child = spawnScript(script, args, processEnv);
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const listening = new Promise<string>((resolve, reject) => {
    const check = () => {
      const url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      if (url) resolve(url);
    };
    child.stdout.on('data', check);
    exited.then(() => reject(new Error(`exited before listening:\n${output}`)));
  });
  // Marked handled here: a test that expects a failed start never awaits it.
  listening.catch(() => undefined);
  return {
    child,
    listening,
    exited,
    output: () => output,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
