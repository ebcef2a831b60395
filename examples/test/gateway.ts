import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the gateway does with the next request that matches. */
type Fault =
  | { kind: 'status'; status: number }
  | { kind: 'drop' }
  | { kind: 'hold'; onHeld: (request: IncomingMessage) => void };

/** One request as the gateway saw it. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
}

/**
 * A reverse proxy in front of the real server, standing in for the load balancer a
 * deployed client talks through: it forwards requests, or fails the next ones on demand
 * (a 502/503/504 error page, a dropped connection, a request that never gets an answer).
 */
export async function startGateway(target: string) {
  const seen: SeenRequest[] = [];
  const faults: { method: string; fault: Fault }[] = [];
  const sockets = new Set<import('node:net').Socket>();

  function forward(incoming: IncomingMessage, outgoing: ServerResponse) {
    const upstream = request(
      new URL(incoming.url ?? '/', target),
      { method: incoming.method, headers: incoming.headers },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    incoming.pipe(upstream);
  }

  const server = createServer((incoming, outgoing) => {
    const method = incoming.method ?? 'GET';
    seen.push({ method, url: incoming.url ?? '/', headers: incoming.headers });
    const index = faults.findIndex((entry) => entry.method === method);
    const fault = index === -1 ? undefined : faults.splice(index, 1)[0]?.fault;
    if (!fault) return forward(incoming, outgoing);
    if (fault.kind === 'drop') return incoming.socket.destroy();
    if (fault.kind === 'hold') return fault.onHeld(incoming);
    outgoing.writeHead(fault.status, { 'content-type': 'text/html' });
    outgoing.end(`<html><body>${fault.status} from the gateway</body></html>`);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    /** Every request received so far, in order. */
    seen,
    /** Forgets what was seen and any fault not yet used. */
    reset() {
      seen.length = 0;
      faults.length = 0;
    },
    /** Fails the next `count` requests of `method` with `fault`. */
    failNext(method: 'GET' | 'POST', count: number, fault: Fault) {
      for (let i = 0; i < count; i++) faults.push({ method, fault });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A gateway started by `startGateway`. */
export type Gateway = Awaited<ReturnType<typeof startGateway>>;
