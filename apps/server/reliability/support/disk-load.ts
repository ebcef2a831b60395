import type { Acknowledged } from './crash-load.js';

/** What a writer saw: every answer's status (and message for refusals), and what was acknowledged. */
export interface WriteLog {
  acknowledged: Acknowledged[];
  /** status → count; 0 is a request that got no answer within the timeout (a hang). */
  statuses: Map<number, number>;
  /** Distinct messages of non-200 answers. */
  messages: Set<string>;
}

/** Writers that keep creating tasks (through refusals) until stopped. */
export interface Writers {
  log: WriteLog;
  /** Answers seen with `status` so far. */
  count(status: number): number;
  stop(): Promise<WriteLog>;
}

/** How long one create may take before it counts as a hang. */
const ANSWER_TIMEOUT_MS = 15_000;

/** `clients` loops creating tasks in `projectId` with a ~2 KB description each (fills pages fast). */
export function startWriters(
  url: string,
  token: string,
  projectId: string,
  clients: number,
  /** Makes titles unique across the suite. */
  label: string,
): Writers {
  const log: WriteLog = { acknowledged: [], statuses: new Map(), messages: new Set() };
  let stopped = false;
  let n = 0;
  const note = (status: number) => log.statuses.set(status, (log.statuses.get(status) ?? 0) + 1);
  const client = async () => {
    while (!stopped) {
      n += 1;
      const title = `${label} ${n}`;
      try {
        const response = await fetch(`${url}/trpc/tasks.create`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ projectId, title, description: 'd'.repeat(2000) }),
          signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS),
        });
        const body = (await response.json()) as {
          result?: { data: Acknowledged };
          error?: { message: string };
        };
        note(response.status);
        if (response.status === 200 && body.result) {
          const { id, projectId: project, number } = body.result.data;
          log.acknowledged.push({ id, projectId: project, number, title });
        } else {
          log.messages.add(`${response.status} ${body.error?.message ?? ''}`);
          // Refused: do not spin; a client would back off too.
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      } catch (error) {
        note(0);
        log.messages.add(`no answer: ${String(error)}`);
      }
    }
  };
  const loops = Array.from({ length: clients }, client);
  return {
    log,
    count: (status) => log.statuses.get(status) ?? 0,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      return log;
    },
  };
}

/** Polls `check` every 50 ms until it holds or `ms` pass; returns whether it held. */
export async function eventually(check: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}
