import { parseArgs } from 'node:util';

/** What `pnpm bench` was asked to do. */
export interface Options {
  mode: 'default' | 'scale' | 'workers' | 'smoke';
  tasks: number;
  durationS: number;
  /** Requests per run instead of a duration: only the smoke, which must not race a clock. */
  amount: number | null;
  warmupS: number;
  connections: number;
  /** Processes to compare with one (`--workers N`). */
  workers: number;
  /** Reseed instead of reusing bench/.cache. */
  fresh: boolean;
  /** Only the workloads with these names (all when empty). */
  only: string[];
}

/** The usage text `--help` prints. */
export const USAGE = `Usage: pnpm bench [options]

Starts the production server on a seeded SQLite file and a plain Fastify baseline doing
the same queries, drives both with autocannon and prints req/s, p50/p99 and RSS per
workload with the ratio Trellis / baseline. Writes bench/results/<date>.json and the
table in docs/performance.md. Then the webhook row (Trellis only): tasks.create at 50 and
200 writes/s with 1 and 5 endpoints pointing at an https receiver in this process,
reporting events/s, the lag from each write's answer to its event's arrival, and events lost.

Options:
  --tasks N          tasks to seed (default 200000; at most 1000000)
  --duration S       seconds measured per workload and target (default 10)
  --warmup S         seconds of warm-up before each measurement (default 3)
  --connections N    concurrent connections (default 50)
  --only a,b         only these workloads (tasks.get, tasks.list, tasks.list.keyset,
                     stats.overview, batch10, dashboard.poll, tasks.create, webhooks)
  --scale            tasks.list at 10k, 100k and 1M tasks (Trellis only)
  --workers N        the read workloads against 1 and N server processes
  --smoke            25 requests per run on 2000 tasks (25 writes per webhook setting, every
                     event must arrive): proves the pipeline works
  --fresh            reseed instead of reusing the seeded files in bench/.cache
  -h, --help         show this help
`;

/** A command line that makes no sense; the message says why. */
export class UsageError extends Error {}

function number(
  value: string | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
) {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || parsed < min || parsed > max) {
    throw new UsageError(`--${name} must be a number from ${min} to ${max}`);
  }
  return parsed;
}

/** Parses the command line; null for --help. */
export function parseOptions(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      tasks: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      only: { type: 'string' },
      scale: { type: 'boolean' },
      workers: { type: 'string' },
      smoke: { type: 'boolean' },
      fresh: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return null;
  const modes = [
    values.scale === true && ('scale' as const),
    values.workers !== undefined && ('workers' as const),
    values.smoke === true && ('smoke' as const),
  ];
  const chosen = modes.filter((mode) => mode !== false);
  if (chosen.length > 1) throw new UsageError(`choose one of --${chosen.join(', --')}`);
  const mode = chosen[0] ?? 'default';
  const smoke = mode === 'smoke';
  const tasks = number(values.tasks, 'tasks', smoke ? 2000 : 200_000, 1000, 1_000_000);
  if (!Number.isInteger(tasks)) throw new UsageError('--tasks must be a whole number');
  const connections = number(values.connections, 'connections', smoke ? 5 : 50, 1, 1000);
  if (!Number.isInteger(connections)) throw new UsageError('--connections must be whole');
  const workers = number(values.workers, 'workers', 2, 2, 64);
  if (!Number.isInteger(workers)) throw new UsageError('--workers must be a whole number');
  return {
    mode,
    tasks,
    durationS: number(values.duration, 'duration', 10, 0.1, 600),
    // The smoke proves the pipeline, not the speed: a count, so that a busy CI machine
    // cannot make it fail by answering slowly.
    amount: smoke ? 25 : null,
    warmupS: number(values.warmup, 'warmup', 3, 0, 600),
    connections,
    workers,
    fresh: values.fresh === true,
    only: (values.only ?? '').split(',').filter(Boolean),
  };
}
