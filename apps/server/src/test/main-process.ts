import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

// The server's scripts (main.ts, cli.ts, backup.ts) as an operator runs them, each in a
// process of its own, from the TypeScript sources, so no build is needed first.

// tsx's loader in node itself rather than the tsx command, which runs node as a child of
// its own: a signal (SIGKILL above all) would reach the wrapper and orphan the server.
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Starts `script` (a path under apps/server/src) with `args`, `env` on top of ours. */
export function spawnSource(
  script: string,
  args: string[],
  env: Record<string, string>,
  options: SpawnOptions = {},
): ChildProcess & { stdout: NonNullable<ChildProcess['stdout']> } {
  const path = fileURLToPath(new URL(`../${script}`, import.meta.url));
  const child = spawn(
    process.execPath,
    ['--import', tsxLoader, '--conditions=@trellis/source', path, ...args],
    { env: { ...process.env, ...env }, ...options, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (!child.stdout || !child.stderr) throw new Error('spawned without output pipes');
  return child as ChildProcess & { stdout: NonNullable<ChildProcess['stdout']> };
}

/**
 * Starts the production bundle (`apps/server/dist/main.js`, from `pnpm build`) the way the
 * start script runs it: starts in a third of tsx's time, for suites that start the server
 * many times (the reliability suites kill and restart it).
 */
export function spawnBundle(
  args: string[],
  env: Record<string, string>,
  options: SpawnOptions = {},
): ChildProcess & { stdout: NonNullable<ChildProcess['stdout']> } {
  const path = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
  const child = spawn(process.execPath, ['--optimize-for-size', path, ...args], {
    env: { ...process.env, ...env },
    ...options,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (!child.stdout || !child.stderr) throw new Error('spawned without output pipes');
  return child as ChildProcess & { stdout: NonNullable<ChildProcess['stdout']> };
}

/** What a script that ran to its end printed, and its exit code. */
export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Resolves when `child` has exited and closed its output, with what it printed. */
export function finished(child: ReturnType<typeof spawnSource>): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** Runs `script` to its end (see {@link spawnSource}). */
export function runSource(
  script: string,
  args: string[],
  env: Record<string, string>,
  options: SpawnOptions = {},
): Promise<Finished> {
  return finished(spawnSource(script, args, env, options));
}

/** A running `main.ts`. */
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
 * Starts main.ts (or `script` with `args`, e.g. `cli.ts serve`, or the built bundle) on 127.0.0.1 and a free port
 * with `env` on top of this process's environment (LOG_LEVEL info: the listening line is how
 * its URL is found).
 */
export function startMainProcess(
  env: Record<string, string>,
  {
    script = 'main.ts',
    args = [],
    bundle = false,
  }: {
    script?: string;
    args?: string[];
    /** Run the built bundle (dist/main.js) instead of `script` from source. */
    bundle?: boolean;
  } = {},
): MainProcess {
  const processEnv = { LOG_LEVEL: 'info', PORT: '0', HOST: '127.0.0.1', ...env };
  const child = bundle ? spawnBundle(args, processEnv) : spawnSource(script, args, processEnv);
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const listening = new Promise<string>((resolve, reject) => {
    const check = () => {
      const url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      if (url) resolve(url);
    };
    child.stdout?.on('data', check);
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
