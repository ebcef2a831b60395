import type { Measurement } from './load.js';
import type { Comparison, ScalePoint, TargetCheck, WorkerComparison } from './results.js';
import type { WebhookMeasurement } from './webhooks.js';

/** The targets. */
export const TARGETS = {
  /** Every procedure's req/s at least this share of the baseline's. */
  ratio: 0.8,
  /** tasks.list p99 at 50 connections on 200k tasks. */
  listP99Ms: 25,
  /** tasks.list p50 at 1M tasks within this factor of 10k. */
  scaleP50Ratio: 1.5,
  /** Peak RSS of any one server process under load. */
  rssMb: 150,
  /** Spawn to the first 200 from /healthz. */
  coldStartMs: 500,
  /** Reads with two workers, as a multiple of one. */
  workersRatio: 1.6,
  /** The dashboard poll on unchanged data, revalidated, against computing and sending it. */
  pollRatio: 5,
};

const ms = (value: number) => `${value.toFixed(value < 10 ? 1 : 0)} ms`;

function rssCheck(measurements: Measurement[]): TargetCheck {
  const peak = Math.max(...measurements.map((m) => m.rss.perProcessMb));
  return {
    target: `RSS under load < ${TARGETS.rssMb} MB per process`,
    measured: `${peak.toFixed(0)} MB at most`,
    met: peak < TARGETS.rssMb,
  };
}

/** The targets a default run can judge. */
export function checkDefault(
  comparisons: Comparison[],
  coldStartMs: number,
  settings: { tasks: number; connections: number },
): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const worst = [...comparisons].sort((a, b) => a.ratio - b.ratio)[0];
  if (worst) {
    checks.push({
      target: `every procedure ≥ ${TARGETS.ratio} × baseline req/s`,
      measured: `lowest ${worst.ratio.toFixed(2)} × (${worst.name})`,
      met: worst.ratio >= TARGETS.ratio,
    });
  }
  const list = comparisons.find((c) => c.name === 'tasks.list');
  if (list) {
    const standard = settings.tasks === 200_000 && settings.connections === 50;
    checks.push({
      target: `tasks.list p99 < ${TARGETS.listP99Ms} ms (50 connections, 200k tasks)`,
      measured: `${ms(list.trellis.p99Ms)}${standard ? '' : ' (other settings: not judged)'}`,
      met: standard ? list.trellis.p99Ms < TARGETS.listP99Ms : null,
    });
  }
  const poll = comparisons.find((c) => c.name === 'dashboard.poll');
  if (poll) {
    const bytes = (m: Measurement) => Math.round(m.bytesPerAnswer).toLocaleString('en-US');
    checks.push({
      target: `dashboard poll on unchanged data ≥ ${TARGETS.pollRatio} × req/s without caching`,
      measured: `${poll.ratio.toFixed(1)} ×; ${bytes(poll.trellis)} vs ${bytes(poll.baseline)} bytes per answer`,
      met: poll.ratio >= TARGETS.pollRatio,
    });
  }
  if (comparisons.length > 0) checks.push(rssCheck(comparisons.map((c) => c.trellis)));
  checks.push({
    target: `cold start < ${TARGETS.coldStartMs} ms (spawn → first 200)`,
    measured: ms(coldStartMs),
    met: coldStartMs < TARGETS.coldStartMs,
  });
  return checks;
}

/** The first and last sizes' tasks.list p50, and their ratio. */
export function scaleRatio(
  points: ScalePoint[],
): { small: number; large: number; ratio: number } | null {
  const p50 = (point: ScalePoint | undefined) =>
    point?.workloads.find((w) => w.name === 'tasks.list')?.result.p50Ms;
  const small = p50(points[0]);
  const large = p50(points.at(-1));
  if (small === undefined || large === undefined || small === 0) return null;
  return { small, large, ratio: large / small };
}

/** The targets a --scale run can judge. */
export function checkScale(points: ScalePoint[]): TargetCheck[] {
  const found = scaleRatio(points);
  const checks: TargetCheck[] = [];
  if (found) {
    checks.push({
      target: `tasks.list p50 at 1M ≤ ${TARGETS.scaleP50Ratio} × at 10k`,
      measured: `${found.ratio.toFixed(2)} × (${ms(found.large)} vs ${ms(found.small)})`,
      met: found.ratio <= TARGETS.scaleP50Ratio,
    });
  }
  checks.push(rssCheck(points.flatMap((p) => p.workloads.map((w) => w.result))));
  return checks;
}

/** The targets a --workers run can judge: every read workload must scale. */
export function checkWorkers(comparisons: WorkerComparison[], workers: number): TargetCheck[] {
  const worst = [...comparisons].sort((a, b) => a.ratio - b.ratio)[0];
  if (!worst) return [];
  return [
    {
      target: `${workers} workers serve reads at ≥ ${TARGETS.workersRatio} × one`,
      measured: `lowest ${worst.ratio.toFixed(2)} × (${worst.name})`,
      met: worst.ratio >= TARGETS.workersRatio,
    },
    rssCheck(comparisons.map((c) => c.many)),
  ];
}

/** The webhook row's target: every write's event reached every endpoint. */
export function checkWebhooks(runs: WebhookMeasurement[]): TargetCheck[] {
  if (runs.length === 0) return [];
  const lost = runs.reduce((sum, run) => sum + run.lost, 0);
  const events = runs.reduce((sum, run) => sum + run.events + run.lost, 0);
  return [
    {
      target: 'webhooks: no event lost (every write reaches every endpoint)',
      measured: `${lost.toLocaleString('en-US')} of ${events.toLocaleString('en-US')} lost`,
      met: lost === 0,
    },
  ];
}
