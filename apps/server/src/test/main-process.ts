import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

// main.ts as an operator runs it, in a process of its own: configured through the
// environment, from the TypeScript sources, so no build is needed first.

// tsx's loader in node itself rather than the tsx command, which runs node as a child of
// its own: a signal (SIGKILL above all) would reach the wrapper and orphan the server.
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const main = fileURLToPath(new URL('../main.ts', import.meta.url));

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
 * Starts main.ts on 127.0.0.1 and a free port with `env` on top of this process's
 * environment (LOG_LEVEL info: the listening line is how its URL is found).
 */
export function startMainProcess(env: Record<string, string>): MainProcess {
  const child = spawn(
    process.execPath,
    ['--import', tsxLoader, '--conditions=@trellis/source', main],
    {
      env: { ...process.env, LOG_LEVEL: 'info', PORT: '0', HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
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
