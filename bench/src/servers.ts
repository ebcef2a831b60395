import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { paths } from './paths.js';

/** Which server: the real one, or the plain-Fastify baseline. */
export type ServerKind = 'trellis' | 'baseline';

/** A server process the benchmark started. */
export interface RunningServer {
  kind: ServerKind;
  url: string;
  pid: number;
  /** Spawn to the first 200 from /healthz. */
  coldStartMs: number;
  /** Throws (with the server's output) if the process has exited. */
  assertAlive(): void;
  /** SIGTERM, then SIGKILL if it has not exited within 10 s. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;

/**
 * The Node options the README's start command (`pnpm start`, the root package.json's
 * `start` script) runs the server with, so that both servers run as an operator runs
 * Trellis: e.g. `--optimize-for-size`, which keeps the heap (and RSS) small under load.
 */
export function productionNodeFlags(): string[] {
  const manifest = JSON.parse(readFileSync(`${paths.root}package.json`, 'utf8')) as {
    scripts?: { start?: string };
  };
  const command = /\bnode((?:\s+--[\w-]+(?:=\S+)?)*)\s+apps\/server\/dist\/main\.js\b/.exec(
    manifest.scripts?.start ?? '',
  );
  if (!command)
    throw new Error('package.json: the start script does not run apps/server/dist/main.js');
  return (command[1] ?? '').trim().split(/\s+/).filter(Boolean);
}

const running = new Set<RunningServer>();

/** The servers started and not yet stopped (a run waits for all of them to be idle). */
export function runningServers(): RunningServer[] {
  return [...running];
}
const OUTPUT_KEPT = 16_384;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** The status of GET `url`, or 0 when nothing answers yet. */
function status(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

/**
 * Starts `node apps/server/dist/main.js` (Trellis) or `node bench/dist/baseline.js` on a
 * free loopback port against `databaseFile`, and waits for /healthz to answer 200. `env`
 * adds to (or replaces) the production settings.
 */
export async function startServer(
  kind: ServerKind,
  databaseFile: string,
  { workers = 1, env: extra = {} }: { workers?: number; env?: Record<string, string> } = {},
): Promise<RunningServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: `file:${databaseFile}`,
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
    MIGRATE_ON_START: 'true',
    COOKIE_SECURE: 'false',
    WORKERS: String(workers),
    ...extra,
  };
  const script = kind === 'trellis' ? paths.serverMain : paths.baseline;
  const started = performance.now();
  const child = spawn(process.execPath, [...productionNodeFlags(), script], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-OUTPUT_KEPT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = exitOf(child);
  let exitedWith: number | null | undefined;
  void exited.then((code) => {
    exitedWith = code;
  });
  const crashed = () => new Error(`${kind} server exited (code ${exitedWith}):\n${output}`);

  while ((await status(`${url}/healthz`)) !== 200) {
    if (exitedWith !== undefined) throw crashed();
    if (performance.now() - started > START_TIMEOUT_MS) {
      child.kill('SIGKILL');
      throw new Error(`${kind} server did not answer /healthz within 30 s:\n${output}`);
    }
    await sleep(5);
  }
  const coldStartMs = performance.now() - started;
  const pid = child.pid;
  if (pid === undefined) throw crashed();
  const server: RunningServer = {
    kind,
    url,
    pid,
    coldStartMs,
    assertAlive() {
      if (exitedWith !== undefined) throw crashed();
    },
    async stop() {
      running.delete(server);
      if (exitedWith !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  running.add(server);
  return server;
}
