import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Webhook } from 'standardwebhooks';
import type { LoopbackCert } from './tls.js';

// The webhook receiver the benchmark measures against: an https server on 127.0.0.1 in the
// bench process that answers 204 as soon as a request's signature verifies (with the
// Standard Webhooks reference library), and notes when each task's event first arrived.

/** What one endpoint has received. */
export interface EndpointLog {
  /** When the first copy of each task's `task.created` arrived (performance.now()), by task id. */
  arrivals: Map<string, number>;
  /** Requests for an event id already received: at-least-once repeats. */
  duplicates: number;
  /** Requests whose signature did not verify (answered 401). */
  rejected: number;
  /** Verified events other than a task's creation (the bench makes none). */
  others: number;
}

/** One endpoint's URL and log; `trust` gives it the secret webhooks.create answered. */
export interface ReceiverEndpoint {
  url: string;
  log: EndpointLog;
  trust(secret: string): void;
  /** Stops counting: whatever still comes for this endpoint is answered and ignored. */
  close(): void;
}

/** The receiver. */
export interface Receiver {
  /** A new endpoint at a path of its own. */
  endpoint(): ReceiverEndpoint;
  /**
   * Waits until every log has every task id in `ids`; gives up when nothing new arrived for
   * any of them for `stallMs`. Returns how many (endpoint, task) events are still missing.
   */
  waitFor(ids: readonly string[], logs: readonly EndpointLog[], stallMs: number): Promise<number>;
  close(): Promise<void>;
}

interface Endpoint extends EndpointLog {
  verifier: Webhook | null;
  eventIds: Set<string>;
}

/** A `waitFor` in progress. */
interface Watch {
  ids: ReadonlySet<string>;
  logs: ReadonlySet<EndpointLog>;
  missing: number;
  /** Told of every first arrival of a task's event at one of `logs`. */
  arrived(): void;
}

type Verified = { id?: unknown; type?: unknown; data?: { id?: unknown } };

function signatureHeaders(request: IncomingMessage): Record<string, string> {
  const header = (name: string) => String(request.headers[name] ?? '');
  return {
    'webhook-id': header('webhook-id'),
    'webhook-timestamp': header('webhook-timestamp'),
    'webhook-signature': header('webhook-signature'),
  };
}

/** Starts the receiver on 127.0.0.1 and a free port. */
export async function startReceiver(tls: LoopbackCert): Promise<Receiver> {
  const endpoints = new Map<string, Endpoint>();
  const watches = new Set<Watch>();
  let next = 0;

  const record = (endpoint: Endpoint, body: string, request: IncomingMessage, at: number) => {
    let event: Verified;
    try {
      if (!endpoint.verifier) throw new Error('no secret yet');
      event = endpoint.verifier.verify(body, signatureHeaders(request)) as Verified;
    } catch {
      endpoint.rejected++;
      return 401;
    }
    const eventId = String(event.id);
    if (endpoint.eventIds.has(eventId)) {
      endpoint.duplicates++;
      return 204;
    }
    endpoint.eventIds.add(eventId);
    const taskId = event.data?.id;
    if (event.type !== 'task.created' || typeof taskId !== 'string') {
      endpoint.others++;
      return 204;
    }
    endpoint.arrivals.set(taskId, at);
    for (const watch of watches) {
      if (watch.logs.has(endpoint) && watch.ids.has(taskId)) {
        watch.missing--;
        watch.arrived();
      }
    }
    return 204;
  };

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const at = performance.now();
      const endpoint = endpoints.get(request.url ?? '');
      // A deleted endpoint's last attempt may still come: answered, so it is not retried.
      const status = endpoint
        ? record(endpoint, Buffer.concat(chunks).toString('utf8'), request, at)
        : 204;
      response.writeHead(status).end();
    });
  };

  const server = createServer({ key: tls.key, cert: tls.cert }, handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    endpoint() {
      const path = `/hook/${++next}`;
      const endpoint: Endpoint = {
        arrivals: new Map(),
        duplicates: 0,
        rejected: 0,
        others: 0,
        verifier: null,
        eventIds: new Set(),
      };
      endpoints.set(path, endpoint);
      return {
        url: `${origin}${path}`,
        log: endpoint,
        trust(secret) {
          endpoint.verifier = new Webhook(secret);
        },
        close() {
          endpoints.delete(path);
        },
      };
    },
    waitFor(ids, logs, stallMs) {
      const wanted = new Set(ids);
      let missing = 0;
      for (const log of logs) for (const id of wanted) if (!log.arrivals.has(id)) missing++;
      if (missing === 0) return Promise.resolve(0);
      return new Promise((resolve) => {
        const finish = () => {
          clearTimeout(timer);
          watches.delete(watch);
          resolve(watch.missing);
        };
        const timer = setTimeout(finish, stallMs);
        const watch: Watch = {
          ids: wanted,
          logs: new Set(logs),
          missing,
          arrived() {
            if (watch.missing === 0) return finish();
            timer.refresh();
          },
        };
        watches.add(watch);
      });
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
