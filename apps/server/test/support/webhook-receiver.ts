import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

// A real webhook receiver on 127.0.0.1: every request it gets is verified with the
// Standard Webhooks reference library (the signature, and the timestamp within its 5
// minutes) and kept in arrival order. What it answers is up to the test (`respond`), so it
// can fail the first tries of an event, or every try for a while.

/** One request as the receiver got it. */
export interface Received {
  /** `webhook-id`: the event id. */
  id: string;
  /** The parsed body when the signature verified; null when it did not. */
  event: { id: string; type: string; timestamp: string; workspaceId: string; data: unknown } | null;
  headers: IncomingMessage['headers'];
  body: string;
  /** What the receiver answered. */
  status: number;
}

/** A running receiver. */
export interface WebhookReceiver {
  /** Where to point a webhook: `http://127.0.0.1:<port>/hook`. */
  url: string;
  /** Every request so far, in arrival order. */
  received: Received[];
  /** The secrets requests are verified with (set after webhooks.create). */
  secrets: string[];
  /** Decides the answer to each request (204 unless replaced); sees how many came before for the same id. */
  respond: (request: { id: string; triesBefore: number }) => number;
  /** How long to wait before answering (ms; 0 unless replaced). */
  delay: () => number;
  /** Resolves once `predicate` holds for what has been received (checked on every arrival). */
  until(predicate: (received: readonly Received[]) => boolean, timeoutMs?: number): Promise<void>;
  /** The distinct event ids answered 2xx, in the order of their first 2xx. */
  deliveredIds(): string[];
  close(): Promise<void>;
}

function verify(secrets: readonly string[], body: string, headers: IncomingMessage['headers']) {
  const plain = {
    'webhook-id': String(headers['webhook-id'] ?? ''),
    'webhook-timestamp': String(headers['webhook-timestamp'] ?? ''),
    'webhook-signature': String(headers['webhook-signature'] ?? ''),
  };
  for (const secret of secrets) {
    try {
      return new Webhook(secret).verify(body, plain) as Received['event'];
    } catch {
      // Not this secret: try the next.
    }
  }
  return null;
}

/** Starts a receiver on 127.0.0.1 and a free port. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const waiters = new Set<() => void>();
  const receiver: WebhookReceiver = {
    url: '',
    received: [],
    secrets: [],
    respond: () => 204,
    delay: () => 0,
    until(predicate, timeoutMs = 30_000) {
      if (predicate(receiver.received)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `webhook receiver: condition not met; got ${receiver.received.length} requests`,
            ),
          );
        }, timeoutMs);
        const check = () => {
          if (!predicate(receiver.received)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      });
    },
    deliveredIds() {
      const ids: string[] = [];
      for (const request of receiver.received) {
        if (request.status < 300 && request.event && !ids.includes(request.id))
          ids.push(request.id);
      }
      return ids;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const id = String(request.headers['webhook-id'] ?? '');
      const event = verify(receiver.secrets, body, request.headers);
      const triesBefore = receiver.received.filter((r) => r.id === id).length;
      const status = event ? receiver.respond({ id, triesBefore }) : 401;
      const answer = () => {
        receiver.received.push({ id, event, headers: request.headers, body, status });
        response.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? '' : 'no');
        for (const waiter of [...waiters]) waiter();
      };
      const wait = receiver.delay();
      if (wait > 0) setTimeout(answer, wait);
      else answer();
    });
  };
  const server = createServer(handle);
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const close = receiver.close;
  receiver.close = () => {
    server.closeAllConnections();
    return close();
  };
  return receiver;
}
