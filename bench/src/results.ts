import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import type { Measurement } from './load.js';
import type { Options } from './options.js';
import { paths } from './paths.js';
import type { WebhookMeasurement } from './webhooks.js';

/** One workload against Trellis and the baseline. */
export interface Comparison {
  name: string;
  description: string;
  trellis: Measurement;
  baseline: Measurement;
  /** Trellis req/s ÷ baseline req/s. */
  ratio: number;
}

/** tasks.list at one database size (`--scale`). */
export interface ScalePoint {
  tasks: number;
  seedSeconds: number | null;
  coldStartMs: number;
  workloads: { name: string; result: Measurement }[];
}

/** One read workload against one process and against `workers` (`--workers`). */
export interface WorkerComparison {
  name: string;
  one: Measurement;
  many: Measurement;
  /** `many` req/s ÷ `one` req/s. */
  ratio: number;
}

/** A target from the issue and whether this run meets it (null: this run cannot tell). */
export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean | null;
}

/** Everything one run measured, as written to bench/results/<date>.json. */
export interface RunResults {
  date: string;
  mode: Options['mode'];
  command: string;
  machine: { cpu: string; cores: number; memoryGb: number; os: string };
  /** The share of all cores busy in the second before the run: others competing for them. */
  busyAtStart: number;
  node: string;
  /** The commit measured, `+dirty` when the working tree had changes (they were measured too). */
  commit: string;
  settings: Pick<Options, 'tasks' | 'durationS' | 'warmupS' | 'amount' | 'connections' | 'workers'>;
  seed?: { tasks: number; seconds: number | null };
  coldStartMs?: { trellis: number; baseline?: number };
  comparisons?: Comparison[];
  scale?: ScalePoint[];
  workers?: WorkerComparison[];
  targets: TargetCheck[];
  /** The webhook row (Trellis only): each setting, and the targets judged on them. */
  webhooks?: { runs: WebhookMeasurement[]; targets: TargetCheck[] };
}

function commitMeasured(): string {
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: paths.root, encoding: 'utf8', stdio: 'pipe' }).trim();
  try {
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain') ? '+dirty' : ''}`;
  } catch {
    // Not a git checkout (an unpacked tarball): the numbers stand, their source is unnamed.
    return 'unknown';
  }
}

/** The facts about this machine and run that every result carries. */
export function runHeader(options: Options, argv: string[], busyAtStart: number) {
  const cpu = cpus();
  return {
    date: new Date().toISOString().slice(0, 10),
    mode: options.mode,
    command: ['pnpm bench', ...argv].join(' '),
    machine: {
      cpu: cpu[0]?.model ?? 'unknown',
      cores: cpu.length,
      memoryGb: Math.round(totalmem() / 2 ** 30),
      os: `${type()} ${release()}`,
    },
    busyAtStart: Math.round(busyAtStart * 100) / 100,
    node: process.version,
    commit: commitMeasured(),
    settings: {
      tasks: options.tasks,
      durationS: options.durationS,
      warmupS: options.warmupS,
      amount: options.amount,
      connections: options.connections,
      workers: options.workers,
    },
  };
}

/**
 * Writes bench/results/<date>[-mode].json (`-webhooks` for a run of the webhook row alone,
 * so that it does not replace the day's comparison) and returns its path.
 */
export function writeResults(results: RunResults): string {
  mkdirSync(paths.results, { recursive: true });
  const webhooksAlone = results.webhooks !== undefined && results.comparisons === undefined;
  const mode = webhooksAlone ? 'webhooks' : results.mode;
  const suffix = mode === 'default' ? '' : `-${mode}`;
  const file = join(paths.results, `${results.date}${suffix}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}
