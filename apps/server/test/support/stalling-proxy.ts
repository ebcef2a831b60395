import {
  type ClientRequest,
  createServer,
  request as forward,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestServer } from './server.js';
import { parseSseEvent, type SseEvent } from './sse.js';
import { within } from './subscription.js';

// A loopback HTTP proxy in front of a test server that can stall an event stream: stop
// passing on the server's bytes while both connections stay open, as a proxy that buffers
// or a network path that black-holes might. The client hears nothing, not even pings,
// until its own inactivity timer gives the connection up.

/** One event stream (`Accept: text/event-stream`) that went through the proxy. */
export interface ProxiedStream {
  /** The request's headers as the client sent them (`last-event-id`, …). */
  headers: IncomingHttpHeaders;
  /** The stream's first event (tRPC's `connected`), once it was passed on. */
  connected: Promise<SseEvent>;
  /** Stops passing on the server's bytes; both connections stay open. */
  stall(): void;
  /** Resolves when the client has closed its connection. */
  closed: Promise<void>;
}

// Headers that describe one connection, not the message: each side sets its own.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding']);

function endToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));
}

/**
 * A proxy to `target` on 127.0.0.1. The first `stallAfterConnected` event streams stall
 * as soon as their `connected` event has been passed on (before anything after it).
 */
export async function stallingProxy(target: TestServer, { stallAfterConnected = 0 } = {}) {
  const streams: ProxiedStream[] = [];
  const waiting: Array<() => void> = [];
  const upstreams = new Set<ClientRequest>();
  const { hostname, port } = new URL(target.url);

  const proxy = createServer((req, res) => {
    const isStream = req.headers.accept === 'text/event-stream';
    const upstream = forward(
      {
        host: hostname,
        port,
        method: req.method,
        path: req.url,
        headers: { ...endToEnd(req.headers), host: target.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
        if (!isStream) {
          answer.pipe(res);
          return;
        }
        let stalled = streams.length < stallAfterConnected;
        let resolveConnected: (event: SseEvent) => void = () => {};
        let resolveClosed: () => void = () => {};
        const stream: ProxiedStream = {
          headers: req.headers,
          connected: new Promise((resolve) => {
            resolveConnected = resolve;
          }),
          stall: () => {
            stalled = true;
          },
          closed: new Promise((resolve) => {
            resolveClosed = resolve;
          }),
        };
        res.on('close', () => resolveClosed());
        streams.push(stream);
        for (const wake of waiting.splice(0)) wake();

        // The bytes before the end of the first event; null once it was passed on.
        let head: Buffer | null = Buffer.alloc(0);
        answer.on('data', (chunk: Buffer) => {
          if (head === null) {
            if (!stalled) res.write(chunk);
            return;
          }
          head = Buffer.concat([head, chunk]);
          const end = head.indexOf('\n\n');
          if (end === -1) return;
          const first = head.subarray(0, end + 2);
          const rest = head.subarray(end + 2);
          head = null;
          res.write(first);
          const event = parseSseEvent(first.toString('utf8'));
          if (event) resolveConnected(event);
          if (!stalled && rest.length > 0) res.write(rest);
        });
        answer.on('end', () => {
          if (!stalled) res.end();
        });
      },
    );
    upstreams.add(upstream);
    upstream.on('close', () => upstreams.delete(upstream));
    upstream.on('error', () => res.destroy());
    // The client gave the connection up: so does the proxy, and the server's stream ends.
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });

  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const address = proxy.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${address.port}`,
    /** The event streams so far, oldest first. */
    streams,
    /** The `index`-th event stream (from 0), once it has arrived; fails after `ms`. */
    async stream(index: number, what: string, ms?: number): Promise<ProxiedStream> {
      const arrived = async () => {
        while (streams.length <= index) {
          await new Promise<void>((resolve) => waiting.push(resolve));
        }
        return streams[index] as ProxiedStream;
      };
      return within(arrived(), what, ms);
    },
    async close(): Promise<void> {
      for (const upstream of upstreams) upstream.destroy();
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}

export type StallingProxy = Awaited<ReturnType<typeof stallingProxy>>;
