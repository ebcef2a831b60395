import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { WebhookEvent } from '../events.js';

// A real HTTP endpoint on 127.0.0.1 for the webhook tests: it records every request it
// gets and answers what the test tells it to. Tests wait on its promises (a request
// arriving), never on the clock.

/** One request as the receiver got it, and what it answered. */
export interface ReceivedRequest {
  /** The `webhook-*` headers, lower-cased names. */
  headers: Record<string, string>;
  body: string;
  /** The event the body holds (parsed, not verified: see {@link verifyWith}). */
  event: WebhookEvent;
  /** The status the receiver answered. */
  status: number;
}

/** An answer: a status (the body then says `answered <status>`), or a status and a body. */
export type Answer = number | { status: number; body: string };

/** What to answer a request (its index counts from 0 over the receiver's life). */
export type Respond = (
  request: Omit<ReceivedRequest, 'status'>,
  index: number,
) => Answer | Promise<Answer>;

/** A listening receiver. */
export interface Receiver {
  url: string;
  /** Every request so far, in arrival order. */
  readonly requests: readonly ReceivedRequest[];
  /** Resolves once `count` requests have come that `which` accepts (2xx answers by default). */
  received(
    count: number,
    which?: (request: ReceivedRequest) => boolean,
  ): Promise<ReceivedRequest[]>;
  /** Changes the answer for the requests that come from now on. */
  respondWith(respond: Respond): void;
  close(): Promise<void>;
}

export const answeredOk = (request: ReceivedRequest) =>
  request.status >= 200 && request.status < 300;

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts a receiver on 127.0.0.1 and a free port; `respond` defaults to 204 for everything. */
export async function startReceiver(respond: Respond = () => 204): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const waiters = new Set<() => void>();
  let answer = respond;
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (name.startsWith('webhook-') && typeof value === 'string') headers[name] = value;
    }
    const received = { headers, body, event: JSON.parse(body) as WebhookEvent };
    const given = await answer(received, requests.length);
    const { status, body: text } =
      typeof given === 'number' ? { status: given, body: `answered ${given}` } : given;
    requests.push({ ...received, status });
    res.writeHead(status, { 'content-type': 'text/plain' }).end(text);
    for (const wake of waiters) wake();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    received(count, which = answeredOk) {
      return new Promise((resolve) => {
        const check = () => {
          const matching = requests.filter(which);
          if (matching.length < count) return;
          waiters.delete(check);
          resolve(matching);
        };
        waiters.add(check);
        check();
      });
    },
    respondWith(next) {
      answer = next;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The event of `request`, verified with `secret` by the Standard Webhooks reference
 * library (which also refuses a timestamp more than 5 minutes from the real time).
 */
export function verifyWith(secret: string, request: ReceivedRequest): WebhookEvent {
  return new Webhook(secret).verify(request.body, request.headers) as WebhookEvent;
}

/** The `v1,` signatures a request carries. */
export function signaturesOf(request: ReceivedRequest): string[] {
  return (request.headers['webhook-signature'] ?? '').split(' ').filter(Boolean);
}
