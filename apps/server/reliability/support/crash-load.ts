import { between, type Random } from './seeded-random.js';

/** A task the server acknowledged with a 200: it must survive any crash after that. */
export interface Acknowledged {
  id: string;
  projectId: string;
  number: number;
  title: string;
}

/** A create that was sent but got no answer (the server died first): either outcome is fine. */
export interface InFlight {
  projectId: string;
  title: string;
}

/** What a load run saw, once every client has stopped. */
export interface LoadResult {
  acknowledged: Acknowledged[];
  inFlight: InFlight[];
  /** Answers that were neither a 200 nor a dropped connection (must stay empty). */
  unexpected: string[];
}

/** Creates tasks from several concurrent clients until the server stops answering. */
export interface Load {
  /** Resolves when every client has stopped (its connection refused or reset). */
  done: Promise<LoadResult>;
}

interface LoadOptions {
  url: string;
  token: string;
  projectIds: string[];
  clients: number;
  random: Random;
  /** Makes titles unique across the whole run, so a present title names one create. */
  label: string;
}

/**
 * `clients` loops, each with one create in flight at a time, over raw HTTP (one request per
 * create, so a 200 is exactly one committed task, never a share of a batch).
 */
export function startLoad(options: LoadOptions): Load {
  const result: LoadResult = { acknowledged: [], inFlight: [], unexpected: [] };
  const client = async (index: number) => {
    for (let n = 0; ; n += 1) {
      const projectId = options.projectIds[
        between(options.random, 0, options.projectIds.length - 1)
      ] as string;
      const title = `${options.label} c${index} n${n} ${options.random().toString(36).slice(2, 8)}`;
      let response: Response;
      try {
        response = await fetch(`${options.url}/trpc/tasks.create`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
          body: JSON.stringify({ projectId, title }),
        });
      } catch {
        // Refused or reset: the server is gone; this create may or may not have committed.
        result.inFlight.push({ projectId, title });
        return;
      }
      let body: string;
      try {
        body = await response.text();
      } catch {
        // Killed between the status line and the end of the body: not an acknowledgement.
        result.inFlight.push({ projectId, title });
        return;
      }
      if (response.status !== 200) {
        result.unexpected.push(`${response.status} ${body.slice(0, 200)}`);
        return;
      }
      const task = (JSON.parse(body) as { result: { data: Acknowledged } }).result.data;
      result.acknowledged.push({
        id: task.id,
        projectId: task.projectId,
        number: task.number,
        title: task.title,
      });
    }
  };
  const clients = Array.from({ length: options.clients }, (_, index) => client(index));
  return { done: Promise.all(clients).then(() => result) };
}
