import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

// Writes at a sustained rate, as an integration's traffic arrives: each request is sent at
// its own moment (start + n / rate) whether or not the ones before have been answered, so a
// slow server gets a growing queue instead of a gentler load (an open loop; autocannon's
// connections would wait for each answer and hide the lag).

/** One write: the task it created, when it was sent and when its answer came (performance.now()). */
export interface Write {
  taskId: string;
  sentAt: number;
  ackedAt: number;
}

/** Every write of a run, and when the run started. */
export interface PacedRun {
  writes: Write[];
  startedAt: number;
}

/** POSTs `body` to `url` and resolves with the created object's id (`{result: {data: {id}}}`). */
function create(url: URL, token: string, body: string, agent: Agent): Promise<Write> {
  const sentAt = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const ackedAt = performance.now();
          const text = Buffer.concat(chunks).toString('utf8');
          const id = (() => {
            try {
              return (JSON.parse(text) as { result?: { data?: { id?: unknown } } }).result?.data
                ?.id;
            } catch {
              return undefined;
            }
          })();
          if (res.statusCode !== 200 || typeof id !== 'string') {
            reject(new Error(`${url.pathname}: HTTP ${res.statusCode} ${text.slice(0, 300)}`));
          } else {
            resolve({ taskId: id, sentAt, ackedAt });
          }
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Sends `count` POSTs to `serverUrl + path` at `rate` per second (`body(n)` for the n-th)
 * and waits for every answer. Throws on the first answer that is not a 200 with an id.
 */
export async function writeAtRate(
  serverUrl: string,
  token: string,
  {
    path,
    rate,
    count,
    body,
  }: { path: string; rate: number; count: number; body(n: number): string },
): Promise<PacedRun> {
  const url = new URL(path, serverUrl);
  // Enough sockets for the queue a server that falls behind builds up.
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const pending: Promise<Write>[] = [];
  let failure: unknown;
  const startedAt = performance.now();
  try {
    for (let n = 0; n < count && failure === undefined; n++) {
      // Each moment is fixed from the start: a late timer is made up for, not carried on.
      const wait = startedAt + (n * 1000) / rate - performance.now();
      if (wait > 0) await sleep(wait);
      const write = create(url, token, body(n), agent);
      write.catch((error: unknown) => {
        failure ??= error;
      });
      pending.push(write);
    }
    return { writes: await Promise.all(pending), startedAt };
  } finally {
    agent.destroy();
  }
}
