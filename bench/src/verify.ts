import { isDeepStrictEqual } from 'node:util';
import { send } from './client.js';
import type { RunningServer } from './servers.js';
import type { BenchRequest, Workload } from './workloads.js';

function ask(server: RunningServer, request: BenchRequest, token: string) {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  return send(`${server.url}${request.path}`, {
    method: request.method,
    headers,
    ...(request.body === undefined ? {} : { body: request.body }),
  });
}

const keysOf = (body: unknown) =>
  Object.keys((body as { result?: { data?: object } }).result?.data ?? {}).sort();

/**
 * Sends each workload's first request to both servers before anything is measured: both
 * must answer 200, reads with identical bodies and writes with the same fields. A
 * baseline that drifted from the procedures would otherwise be measured doing other work.
 */
export async function verifySameAnswers(
  trellis: RunningServer,
  baseline: RunningServer,
  workloads: Workload[],
  token: string,
): Promise<void> {
  for (const workload of workloads) {
    const [ours, theirs] = [workload.requests.trellis[0], workload.requests.baseline[0]];
    if (!ours || !theirs) throw new Error(`${workload.name} has no requests`);
    const a = await ask(trellis, ours, token);
    const b = await ask(baseline, theirs, token);
    if (a.status !== 200 || b.status !== 200) {
      const show = (x: { status: number; body: unknown }) =>
        `${x.status} ${JSON.stringify(x.body).slice(0, 300)}`;
      throw new Error(`${workload.name}: Trellis answered ${show(a)}; baseline ${show(b)}`);
    }
    const same = workload.read
      ? isDeepStrictEqual(a.body, b.body)
      : isDeepStrictEqual(keysOf(a.body), keysOf(b.body));
    if (!same) {
      throw new Error(
        `${workload.name}: the baseline answers differently from Trellis\n` +
          `  Trellis:  ${JSON.stringify(a.body).slice(0, 400)}\n` +
          `  baseline: ${JSON.stringify(b.body).slice(0, 400)}`,
      );
    }
  }
}
