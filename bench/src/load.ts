import autocannon from 'autocannon';
import { send } from './client.js';
import { othersMeter, type RssPeak, sampleRss, waitForIdle } from './proc.js';
import { progress } from './progress.js';
import { type RunningServer, runningServers } from './servers.js';
import type { BenchRequest, Target, Workload } from './workloads.js';

/** How hard and how long to drive a server. */
export interface LoadSettings {
  connections: number;
  warmupS: number;
  durationS: number;
  /** A fixed number of requests per run instead of a duration (the smoke: no clock). */
  amount: number | null;
  token: string;
}

/** One workload against one server. */
export interface Measurement {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  /** Bytes the server sent per answer (headers and body). */
  bytesPerAnswer: number;
  /** Peak RSS during warm-up and measurement. */
  rss: RssPeak;
  /**
   * The share of all cores that other programs (not the servers, not the load generator)
   * used during the measurement: above a few percent, the numbers are too low.
   */
  othersCpu: number;
}

/** Other programs' share of the CPU above which a measurement is marked as disturbed. */
export const BUSY_OTHERS = 0.05;

/** Thrown when a run saw anything but 2xx answers, or the server died. */
export class LoadFailure extends Error {}

function headersFor(token: string, request: BenchRequest) {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  return headers;
}

function run(
  server: RunningServer,
  requests: BenchRequest[],
  settings: LoadSettings,
  seconds: number,
  onSecond: (elapsed: number) => void,
): Promise<autocannon.Result> {
  let next = 0;
  const first = requests[0];
  if (!first) throw new Error('a workload without requests');
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: server.url,
        connections: settings.connections,
        // Never give up on a request within a run: a slow answer is a result to report,
        // and an abandoned one would still keep the server busy.
        timeout: Math.ceil(seconds) + 60,
        ...(settings.amount === null
          ? // autocannon ends a run on a sample tick: short runs need short ticks.
            { duration: seconds, sampleInt: Math.min(1000, seconds * 1000) }
          : { amount: settings.amount, sampleInt: 100 }),
        headers: headersFor(settings.token, first),
        requests: [
          {
            method: first.method,
            path: first.path,
            // Rotating through precomputed requests keeps the load generator's own work small.
            setupRequest: (request) => {
              const { method, path, body, headers } = requests[
                next++ % requests.length
              ] as BenchRequest;
              const withHeaders =
                headers === undefined
                  ? request
                  : { ...request, headers: { ...request.headers, ...headers } };
              return body === undefined
                ? { ...withHeaders, method, path }
                : { ...withHeaders, method, path, body };
            },
          },
        ],
      },
      (error: unknown, result: autocannon.Result) => {
        if (error) reject(error);
        else resolve(result);
      },
    );
    let elapsed = 0;
    instance.on('tick', () => onSecond(++elapsed));
  });
}

/** A failing request sent once more by hand, so that the error says what went wrong. */
async function example(server: RunningServer, request: BenchRequest, token: string) {
  const answer = await send(`${server.url}${request.path}`, {
    method: request.method,
    headers: headersFor(token, request),
    ...(request.body === undefined ? {} : { body: request.body }),
  }).catch((error: unknown) => ({ status: 0, body: String(error) }));
  return `${request.method} ${request.path.slice(0, 200)} → ${answer.status} ${JSON.stringify(answer.body).slice(0, 500)}`;
}

const live = process.stderr.isTTY;
function status(line: string) {
  if (live) process.stderr.write(`\r\x1b[2K${line}`);
}

/**
 * Warms up, then measures one workload against one server. Throws LoadFailure on any
 * non-2xx answer, connection error or timeout, and when the server dies.
 */
export async function measure(
  server: RunningServer,
  workload: Workload,
  target: Target,
  settings: LoadSettings,
): Promise<Measurement> {
  const requests = workload.requests[target];
  const label = `${workload.name} on ${target}`;
  const check = async (result: autocannon.Result, phase: string) => {
    server.assertAlive();
    // A warm-up may end before a slow server's first answer; a measurement may not.
    const answered = result.requests.total > 0 || phase === 'warm-up';
    // A revalidating workload's 304s are answers too; anything else outside 2xx is not.
    const notModified = workload.revalidates ? (result.statusCodeStats?.['304']?.count ?? 0) : 0;
    const refused = result.non2xx - notModified;
    if (workload.revalidates && target === 'trellis' && answered && notModified === 0) {
      // Revalidation that never matched measures full answers under the poll's name.
      throw new LoadFailure(`${label} (${phase}): no answer was 304: the ETags no longer match`);
    }
    if (answered && refused === 0 && result.errors === 0 && result.timeouts === 0) return;
    const slow = answered ? '' : ' (nothing answered within the run: try a longer --duration)';
    const codes = JSON.stringify(result.statusCodeStats ?? {});
    const failing = await example(server, requests[0] as BenchRequest, settings.token);
    throw new LoadFailure(
      `${label} (${phase}): ${result.requests.total} answers, ${result.non2xx} non-2xx, ` +
        `${result.errors} errors, ` +
        `${result.timeouts} timeouts; status codes ${codes}${slow}\n  e.g. ${failing}`,
    );
  };
  // Every server, not only this one: the other may still be answering its last run.
  const settle = async () => {
    for (const each of runningServers()) await waitForIdle(each.pid);
  };
  await settle();
  const sampler = sampleRss(server.pid);
  try {
    if (settings.warmupS > 0 && settings.amount === null) {
      progress(`warming ${label}… (${settings.warmupS} s)`);
      await check(await run(server, requests, settings, settings.warmupS, () => {}), 'warm-up');
      await settle();
    }
    const total = settings.durationS;
    const length = settings.amount === null ? `${total} s` : `${settings.amount} requests`;
    if (!live) progress(`measuring ${label}… (${length})`);
    // This process (the load generator) and its children (the servers) are ours.
    const others = othersMeter(() => [process.pid]);
    const result = await run(server, requests, settings, total, (s) =>
      status(`measuring ${label} ${Math.min(s, Math.ceil(total))}/${Math.ceil(total)} s`),
    );
    status('');
    const othersCpu = others.stop();
    await check(result, 'measurement');
    if (othersCpu > BUSY_OTHERS) {
      const percent = Math.round(othersCpu * 100);
      progress(`warning: other programs used ${percent}% of the CPU during ${label}`);
    }
    return {
      reqPerSec: result.requests.total / result.duration,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      requests: result.requests.total,
      non2xx: result.non2xx,
      bytesPerAnswer:
        result.requests.total > 0 ? result.throughput.total / result.requests.total : 0,
      rss: sampler.stop(),
      othersCpu: Math.round(othersCpu * 1000) / 1000,
    };
  } finally {
    sampler.stop();
  }
}
