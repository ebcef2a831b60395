import { performance } from 'node:perf_hooks';
import { dataOf, send } from './client.js';
import type { Fixture } from './fixture.js';
import { BUSY_OTHERS } from './load.js';
import type { Options } from './options.js';
import { type PacedRun, writeAtRate } from './pace.js';
import { cpuTicks, othersMeter, type RssPeak, sampleRss, waitForIdle } from './proc.js';
import { progress } from './progress.js';
import type { EndpointLog, Receiver } from './receiver.js';
import type { RunningServer } from './servers.js';

// The webhook row: tasks.create at a sustained rate against a server with webhook endpoints
// pointing at the bench's receiver, measuring how fast the events arrive and how late
// (write answered → receiver), and that every one of them does. Trellis only: the baseline
// has no webhooks, so there is no ratio.

/** The name `--only` selects this workload by. */
export const WEBHOOKS_WORKLOAD = 'webhooks';

/** One measured combination: endpoints in the workspace, writes per second, writes in all. */
export interface WebhookSetting {
  endpoints: number;
  rate: number;
  count: number;
}

/** What one setting measured. Times in ms; lag is from a write's answer to its event's arrival. */
export interface WebhookMeasurement extends WebhookSetting {
  /** Writes answered ÷ the time from the first sent to the last answered. */
  writesPerSec: number;
  /** Sent → answered, of the writes. */
  write: { p50Ms: number; p99Ms: number };
  /** (endpoint, task) events that arrived. */
  events: number;
  /** Events that arrived ÷ the time from the first write sent to the last event received. */
  eventsPerSec: number;
  /** Write answered → its event at the receiver, over every (endpoint, task). */
  lag: { p50Ms: number; p95Ms: number; p99Ms: number; maxMs: number };
  /**
   * The median lag of each endpoint, by endpoint: one far behind the others has waited for
   * the worker (each process serves a few endpoints at a time).
   */
  endpointLagP50Ms: number[];
  /** Events that arrived before their write's answer (their lag is ≤ 0). */
  beforeAnswer: number;
  /** (endpoint, task) events that never arrived: must be 0. */
  lost: number;
  /** Repeated deliveries of an event already received (at least once allows them). */
  duplicates: number;
  /**
   * The server's CPU time from the first write to the last event, ÷ writes: a write and its
   * deliveries to every endpoint. Others on the machine disturb it far less than the rates.
   */
  serverCpuPerWriteMs: number;
  /**
   * The same CPU time ÷ that span: the share of a core the server used. Near 1, its one
   * event loop is the limit.
   */
  serverCpuShare: number;
  rss: RssPeak;
  /** Other programs' share of the CPU during the measurement (see load.ts). */
  othersCpu: number;
}

const RATES = [50, 200];
/** 0: the same writes with no endpoint, what the others' server CPU is compared with. */
const ENDPOINTS = [0, 1, 5];
const SMOKE_RATE = 50;
/**
 * Missing events are given up on only after this long with none arriving: longer than the
 * first retry of the default schedule (5 s ± 20%) and the worker's 1 s poll.
 */
const STALL_MS = 30_000;

/** The settings a run measures: every endpoint count at every rate, `durationS` each. */
export function webhookSettings(options: Options): WebhookSetting[] {
  if (options.amount !== null) {
    return ENDPOINTS.filter((endpoints) => endpoints > 0).map((endpoints) => ({
      endpoints,
      rate: SMOKE_RATE,
      count: options.amount ?? 0,
    }));
  }
  return ENDPOINTS.flatMap((endpoints) =>
    RATES.map((rate) => ({ endpoints, rate, count: Math.round(rate * options.durationS) })),
  );
}

/** Nearest-rank percentile of sorted values (0 for none). */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? 0;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/** A webhook-receiving workload against one server and one receiver. */
export interface WebhookBench {
  server: RunningServer;
  receiver: Receiver;
  token: string;
  fixture: Fixture;
}

async function call(bench: WebhookBench, path: string, input: unknown): Promise<unknown> {
  const answer = await send(`${bench.server.url}/trpc/${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bench.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(input),
  });
  return dataOf(answer, path);
}

function writes(bench: WebhookBench, rate: number, count: number, label: string) {
  const { projectId } = bench.fixture;
  return writeAtRate(bench.server.url, bench.token, {
    path: '/trpc/tasks.create',
    rate,
    count,
    body: (n) => JSON.stringify({ projectId, title: `Webhook bench ${label} ${n}`, priority: 2 }),
  });
}

function summarize(
  setting: WebhookSetting,
  run: PacedRun,
  logs: readonly EndpointLog[],
  lost: number,
  duplicates: number,
): Omit<WebhookMeasurement, 'serverCpuPerWriteMs' | 'serverCpuShare' | 'rss' | 'othersCpu'> {
  const { writes: done, startedAt } = run;
  const lags: number[] = [];
  const endpointLagP50Ms: number[] = [];
  let lastArrival = startedAt;
  for (const log of logs) {
    const own: number[] = [];
    for (const write of done) {
      const at = log.arrivals.get(write.taskId);
      if (at === undefined) continue;
      own.push(at - write.ackedAt);
      lastArrival = Math.max(lastArrival, at);
    }
    own.sort((a, b) => a - b);
    endpointLagP50Ms.push(round(percentile(own, 50)));
    lags.push(...own);
  }
  lags.sort((a, b) => a - b);
  const answered = done.map((w) => w.ackedAt - w.sentAt).sort((a, b) => a - b);
  const lastAck = Math.max(startedAt, ...done.map((w) => w.ackedAt));
  const perSec = (n: number, until: number) =>
    until > startedAt ? n / ((until - startedAt) / 1000) : 0;
  return {
    ...setting,
    writesPerSec: perSec(done.length, lastAck),
    write: { p50Ms: round(percentile(answered, 50)), p99Ms: round(percentile(answered, 99)) },
    events: lags.length,
    eventsPerSec: perSec(lags.length, lastArrival),
    lag: {
      p50Ms: round(percentile(lags, 50)),
      p95Ms: round(percentile(lags, 95)),
      p99Ms: round(percentile(lags, 99)),
      maxMs: round(lags.at(-1) ?? 0),
    },
    endpointLagP50Ms,
    beforeAnswer: lags.filter((lag) => lag <= 0).length,
    lost,
    duplicates,
  };
}

/**
 * Creates `setting.endpoints` endpoints, warms up at the setting's rate, then measures
 * `setting.count` writes and waits for every event at every endpoint (or for the arrivals to
 * stall: those missing are lost). Deletes the endpoints afterwards. Throws when a signature
 * did not verify.
 */
export async function measureWebhooks(
  bench: WebhookBench,
  setting: WebhookSetting,
  { warmupS }: { warmupS: number },
): Promise<WebhookMeasurement> {
  const label = `webhooks, ${setting.endpoints} endpoint${setting.endpoints === 1 ? '' : 's'} at ${setting.rate} writes/s`;
  const endpoints = Array.from({ length: setting.endpoints }, () => bench.receiver.endpoint());
  const ids: string[] = [];
  try {
    for (const [n, endpoint] of endpoints.entries()) {
      const created = (await call(bench, 'webhooks.create', {
        workspaceId: bench.fixture.workspaceId,
        url: endpoint.url,
        description: `bench receiver ${n + 1}`,
      })) as { id: string; secret: string };
      ids.push(created.id);
      endpoint.trust(created.secret);
    }
    const logs = endpoints.map((e) => e.log);
    if (warmupS > 0) {
      progress(`warming ${label}… (${warmupS} s)`);
      const warm = await writes(bench, setting.rate, Math.round(setting.rate * warmupS), 'warm-up');
      const missing = await bench.receiver.waitFor(
        warm.writes.map((w) => w.taskId),
        logs,
        STALL_MS,
      );
      if (missing > 0) throw new Error(`${label} (warm-up): ${missing} events never arrived`);
    }
    await waitForIdle(bench.server.pid);
    const duplicatesBefore = logs.reduce((sum, log) => sum + log.duplicates, 0);
    const sampler = sampleRss(bench.server.pid);
    // This process (writer and receiver) and its children (the server) are ours.
    const others = othersMeter(() => [process.pid]);
    const ticksBefore = cpuTicks(bench.server.pid);
    const began = performance.now();
    progress(`measuring ${label}… (${setting.count} writes)`);
    const run = await writes(bench, setting.rate, setting.count, 'measured');
    const lost = await bench.receiver.waitFor(
      run.writes.map((w) => w.taskId),
      logs,
      STALL_MS,
    );
    const serverCpuMs = (cpuTicks(bench.server.pid) - ticksBefore) * 10;
    const spanMs = performance.now() - began;
    const othersCpu = others.stop();
    const rss = sampler.stop();
    bench.server.assertAlive();
    const rejected = logs.reduce((sum, log) => sum + log.rejected, 0);
    if (rejected > 0) throw new Error(`${label}: ${rejected} deliveries failed signature checks`);
    if (othersCpu > BUSY_OTHERS) {
      progress(
        `warning: other programs used ${Math.round(othersCpu * 100)}% of the CPU during ${label}`,
      );
    }
    const duplicates = logs.reduce((sum, log) => sum + log.duplicates, 0) - duplicatesBefore;
    return {
      ...summarize(setting, run, logs, lost, duplicates),
      serverCpuPerWriteMs: round(serverCpuMs / Math.max(1, setting.count)),
      serverCpuShare: Math.round((serverCpuMs / spanMs) * 100) / 100,
      rss,
      othersCpu: Math.round(othersCpu * 1000) / 1000,
    };
  } finally {
    for (const webhookId of ids) {
      await call(bench, 'webhooks.delete', { webhookId }).catch(() => undefined);
    }
    for (const endpoint of endpoints) endpoint.close();
  }
}
