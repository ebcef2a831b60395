// `pnpm bench`: seeds a database, starts the production server and the baseline, drives
// both with autocannon and reports. See `pnpm bench --help` and docs/performance.md.
import { copyFileSync, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { signIn } from './client.js';
import { updateDoc } from './doc.js';
import { DEMO_PASSWORD, type Fixture, readFixture } from './fixture.js';
import { type LoadSettings, measure } from './load.js';
import { type Options, parseOptions, USAGE, UsageError } from './options.js';
import { paths } from './paths.js';
import { busyShare } from './proc.js';
import { progress } from './progress.js';
import { startReceiver } from './receiver.js';
import { renderRun, renderSections } from './report.js';
import {
  type Comparison,
  type RunResults,
  runHeader,
  type ScalePoint,
  type WorkerComparison,
  writeResults,
} from './results.js';
import { seededDatabase } from './seed.js';
import { type RunningServer, type ServerKind, startServer } from './servers.js';
import { checkDefault, checkScale, checkWebhooks, checkWorkers } from './targets.js';
import { loopbackCert } from './tls.js';
import { verifySameAnswers } from './verify.js';
import {
  measureWebhooks,
  WEBHOOKS_WORKLOAD,
  type WebhookMeasurement,
  webhookSettings,
} from './webhooks.js';
import {
  buildWorkloads,
  collectCursors,
  pollEtags,
  WORKLOAD_NAMES,
  type Workload,
  withPollEtags,
} from './workloads.js';

const SCALE_SIZES = [10_000, 100_000, 1_000_000];
/** More of the CPU than this busy before the run means something else competes for it. */
const BUSY_SHARE = 0.1;

/** Undone in reverse order at the end, on failure and on Ctrl-C. */
const cleanups: (() => Promise<void> | void)[] = [];

async function cleanUp() {
  for (const undo of cleanups.splice(0).reverse()) {
    await Promise.resolve(undo()).catch(() => undefined);
  }
}

async function start(
  kind: ServerKind,
  file: string,
  workers = 1,
  env: Record<string, string> = {},
): Promise<RunningServer> {
  progress(`starting ${kind}${workers > 1 ? ` with ${workers} workers` : ''}…`);
  const server = await startServer(kind, file, { workers, env });
  cleanups.push(() => server.stop());
  progress(`${kind} answered /healthz ${server.coldStartMs.toFixed(0)} ms after spawn`);
  return server;
}

/** A database of `tasks` tasks of its own in `dir` (copied from the cache when cached). */
async function workingDatabase(options: Options, tasks: number, dir: string) {
  const cache = options.mode !== 'smoke';
  const seeded = await seededDatabase(tasks, { cache, fresh: options.fresh, dir });
  const file = join(dir, `trellis-${tasks}.db`);
  if (cache) {
    progress(`copying the seeded database (${tasks} tasks)…`);
    copyFileSync(seeded.file, file);
  } else {
    renameSync(seeded.file, file);
  }
  cleanups.push(() => {
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  });
  return { file, seedSeconds: seeded.seedSeconds, fixture: readFixture(file) };
}

/**
 * Signs in once, collects list cursors and builds the selected workloads. With a baseline,
 * it walks the same list there and requires the same cursors: the walk is a few hundred
 * list queries, and a server measured after it must be compared with one that did it too
 * (Trellis's tasks.get measured ~15% slower after the walk than before it).
 */
async function prepareLoad(
  server: RunningServer,
  fixture: Fixture,
  options: Options,
  baseline?: RunningServer,
) {
  const token = await signIn(server.url, fixture.email, DEMO_PASSWORD);
  progress('walking tasks.list for keyset cursors…');
  const cursors = await collectCursors(server.url, token, fixture);
  if (baseline) {
    const theirs = await collectCursors(baseline.url, token, fixture, { target: 'baseline' });
    if (!isDeepStrictEqual(theirs, cursors)) {
      throw new Error('tasks.list: the baseline pages the list differently from Trellis');
    }
  }
  const etags = await pollEtags(server.url, token, fixture);
  const workloads = buildWorkloads({ fixture, cursors, etags }).filter(
    (w) => options.only.length === 0 || options.only.includes(w.name),
  );
  const settings: LoadSettings = { ...options, token };
  return { workloads, settings };
}

/** Whether `--only` leaves any of the comparison's workloads (all when it is empty). */
const comparesAny = (options: Options) =>
  options.only.length === 0 || options.only.some((name) => name !== WEBHOOKS_WORKLOAD);
const measuresWebhooks = (options: Options) =>
  options.only.length === 0 || options.only.includes(WEBHOOKS_WORKLOAD);

async function runComparison(options: Options, dir: string): Promise<Partial<RunResults>> {
  const db = await workingDatabase(options, options.tasks, dir);
  const results: Partial<RunResults> = {
    seed: { tasks: options.tasks, seconds: db.seedSeconds },
  };
  if (comparesAny(options)) Object.assign(results, await compare(options, db));
  if (measuresWebhooks(options)) results.webhooks = await runWebhooks(options, db, dir);
  return results;
}

async function compare(
  options: Options,
  db: { file: string; fixture: Fixture },
): Promise<Partial<RunResults>> {
  const trellis = await start('trellis', db.file);
  const baseline = await start('baseline', db.file);
  const { workloads: prepared, settings } = await prepareLoad(
    trellis,
    db.fixture,
    options,
    baseline,
  );
  progress('checking that both servers answer alike…');
  await verifySameAnswers(trellis, baseline, prepared, settings.token);
  // The check wrote (tasks.create): the poll's ETags are taken now, as a dashboard holds them.
  const workloads = withPollEtags(
    prepared,
    await pollEtags(trellis.url, settings.token, db.fixture),
  );
  const comparisons: Comparison[] = [];
  for (const workload of workloads) {
    const ours = await measure(trellis, workload, 'trellis', settings);
    const theirs = await measure(baseline, workload, 'baseline', settings);
    const ratio = ours.reqPerSec / theirs.reqPerSec;
    comparisons.push({ ...workload, trellis: ours, baseline: theirs, ratio });
    progress(`${workload.name}: ${ratio.toFixed(2)} × the baseline's req/s`);
  }
  await trellis.stop();
  await baseline.stop();
  const coldStartMs = { trellis: trellis.coldStartMs, baseline: baseline.coldStartMs };
  return {
    coldStartMs,
    comparisons: comparisons.map(({ name, description, trellis, baseline, ratio }) => ({
      name,
      description,
      trellis,
      baseline,
      ratio,
    })),
    targets: checkDefault(comparisons, trellis.coldStartMs, options),
  };
}

/**
 * The webhook row: Trellis alone, as in production (webhooks to https URLs only) but
 * allowed to send to the bench's receiver on 127.0.0.1, whose certificate it is told to
 * trust. In the smoke, an event that never arrives fails the run.
 */
async function runWebhooks(
  options: Options,
  db: { file: string; fixture: Fixture },
  dir: string,
): Promise<RunResults['webhooks']> {
  const tls = loopbackCert(dir);
  const receiver = await startReceiver(tls);
  cleanups.push(() => receiver.close());
  const server = await start('trellis', db.file, 1, {
    WEBHOOK_ALLOW_PRIVATE: 'true',
    NODE_EXTRA_CA_CERTS: tls.certFile,
  });
  const token = await signIn(server.url, db.fixture.email, DEMO_PASSWORD);
  const bench = { server, receiver, token, fixture: db.fixture };
  const warmupS = options.amount === null ? options.warmupS : 0;
  const runs: WebhookMeasurement[] = [];
  for (const setting of webhookSettings(options)) {
    const run = await measureWebhooks(bench, setting, { warmupS });
    runs.push(run);
    progress(
      `webhooks, ${setting.endpoints} × ${setting.rate}/s: ${run.events} events, lag p50 ` +
        `${run.lag.p50Ms} ms, p99 ${run.lag.p99Ms} ms, ${run.lost} lost; server CPU ` +
        `${run.serverCpuPerWriteMs} ms per write`,
    );
    if (options.mode === 'smoke' && run.lost > 0) {
      throw new Error(
        `webhooks: ${run.lost} of ${run.events + run.lost} events never reached the receiver`,
      );
    }
  }
  await server.stop();
  await receiver.close();
  return { runs, targets: checkWebhooks(runs) };
}

async function runScale(options: Options, dir: string): Promise<Partial<RunResults>> {
  const points: ScalePoint[] = [];
  const listOnly = (w: Workload) => w.name === 'tasks.list' || w.name === 'tasks.list.keyset';
  for (const tasks of SCALE_SIZES) {
    const db = await workingDatabase(options, tasks, dir);
    const trellis = await start('trellis', db.file);
    const { workloads, settings } = await prepareLoad(trellis, db.fixture, options);
    const point: ScalePoint = {
      tasks,
      seedSeconds: db.seedSeconds,
      coldStartMs: trellis.coldStartMs,
      workloads: [],
    };
    for (const workload of workloads.filter(listOnly)) {
      point.workloads.push({
        name: workload.name,
        result: await measure(trellis, workload, 'trellis', settings),
      });
    }
    points.push(point);
    await trellis.stop();
    // Copies of the big databases go as soon as they are done with.
    rmSync(db.file, { force: true });
  }
  return { scale: points, targets: checkScale(points) };
}

async function runWorkers(options: Options, dir: string): Promise<Partial<RunResults>> {
  const db = await workingDatabase(options, options.tasks, dir);
  const results = new Map<string, Partial<WorkerComparison>>();
  for (const workers of [1, options.workers]) {
    const trellis = await start('trellis', db.file, workers);
    const { workloads, settings } = await prepareLoad(trellis, db.fixture, options);
    for (const workload of workloads.filter((w) => w.read)) {
      const result = await measure(trellis, workload, 'trellis', settings);
      const entry = results.get(workload.name) ?? { name: workload.name };
      if (workers === 1) entry.one = result;
      else entry.many = result;
      results.set(workload.name, entry);
    }
    await trellis.stop();
  }
  const comparisons = [...results.values()].flatMap(({ name, one, many }) =>
    name && one && many ? [{ name, one, many, ratio: many.reqPerSec / one.reqPerSec }] : [],
  );
  return {
    seed: { tasks: options.tasks, seconds: db.seedSeconds },
    workers: comparisons,
    targets: checkWorkers(comparisons, options.workers),
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const options = parseOptions(argv);
  if (!options) {
    process.stdout.write(USAGE);
    return;
  }
  for (const built of [paths.serverMain, paths.seed, paths.baseline]) {
    if (!existsSync(built)) {
      throw new Error(
        `${built} is missing: run \`pnpm bench\` from the repository root (it builds first)`,
      );
    }
  }
  const known: readonly string[] = [...WORKLOAD_NAMES, WEBHOOKS_WORKLOAD];
  const unknown = options.only.filter((name) => !known.includes(name));
  if (unknown.length > 0) throw new UsageError(`--only: no workload named ${unknown.join(', ')}`);
  const busy = await busyShare();
  if (busy > BUSY_SHARE) {
    const percent = Math.round(busy * 100);
    progress(`warning: ${percent}% of the CPU was busy before the run: numbers will suffer`);
  }
  // Taken before the run: the commit and the machine as they were when measured.
  const header = runHeader(options, argv, busy);
  const dir = mkdtempSync(join(tmpdir(), 'trellis-bench-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const run =
    options.mode === 'scale' ? runScale : options.mode === 'workers' ? runWorkers : runComparison;
  const measured = await run(options, dir);
  const results: RunResults = { ...header, targets: [], ...measured };
  // The smoke's counts say nothing about speed; judging targets on them would mislead.
  if (options.mode === 'smoke') {
    results.targets = [];
    if (results.webhooks) results.webhooks.targets = [];
  }
  const markdown = renderRun(results);
  process.stdout.write(`\n${markdown}\n`);
  if (options.mode === 'smoke') {
    const proven = [
      ...(results.comparisons
        ? ['every workload answered on both servers (2xx, or 304 where it revalidates)']
        : []),
      ...(results.webhooks ? ['every webhook event reached every endpoint, signed'] : []),
    ];
    process.stdout.write(`\nsmoke: ${proven.join('; ')}\n`);
    return;
  }
  const file = writeResults(results);
  updateDoc(renderSections(results));
  progress(`\nwrote ${file} and docs/performance.md`);
}

process.once('SIGINT', () => {
  progress('\ninterrupted: stopping the servers…');
  void cleanUp().then(() => process.exit(130));
});

main()
  .catch((error: unknown) => {
    // parseArgs reports unknown or malformed options as errors coded ERR_PARSE_ARGS_*.
    const code = (error as { code?: unknown } | null)?.code;
    const usage =
      error instanceof UsageError ||
      (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'));
    process.exitCode = usage ? 2 : 1;
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`\npnpm bench failed: ${message}\n`);
  })
  .finally(cleanUp);
