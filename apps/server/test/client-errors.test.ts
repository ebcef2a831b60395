import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer } from 'node:net';
import { DEFAULT_RATE_LIMITS } from '@trellis/auth';
import {
  createClient,
  isTrellisError,
  MAX_QUERY_ATTEMPTS,
  type TrellisError,
} from '@trellis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';
import { PASSWORD } from './support/wire.js';

// What @trellis/client says when no Trellis answer decided a call: nobody listening
// (NETWORK), something else answering (NOT_TRELLIS), nobody answering in time (TIMEOUT),
// and the caller's own abort; and what it reads off a rate-limited answer. Real peers
// only: a closed port, the real server at the wrong path, and node:http servers on
// 127.0.0.1 that never answer or answer like a proxy's error page.

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ rateLimits: DEFAULT_RATE_LIMITS });
});
afterAll(() => server.close());

async function failure(promise: Promise<unknown>): Promise<TrellisError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isTrellisError(error)) throw new Error(`expected a TrellisError, got ${String(error)}`);
  return error;
}

/** A loopback port nothing listens on: taken, then released. */
async function closedPort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** A node:http server on 127.0.0.1 that hands each request to `handle`. */
async function peer(handle: (req: IncomingMessage, res: ServerResponse) => void) {
  const http: Server = createServer(handle);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

/** A peer that takes requests and never answers; `arrived` and `closed` report each. */
async function silentPeer() {
  const arrivals: ((req: IncomingMessage) => void)[] = [];
  const seen: IncomingMessage[] = [];
  const silent = await peer((req) => {
    seen.push(req);
    arrivals.shift()?.(req);
  });
  return {
    ...silent,
    seen,
    /** The next request to arrive. */
    arrived: () => new Promise<IncomingMessage>((resolve) => arrivals.push(resolve)),
    /** Resolves when the client has given up on `req` (its connection closed). */
    closed: (req: IncomingMessage) =>
      new Promise<void>((resolve) => {
        if (req.socket.destroyed) resolve();
        else req.socket.once('close', () => resolve());
      }),
  };
}

describe('NETWORK', () => {
  it('names the URL and the cause when nothing listens', async () => {
    const port = await closedPort();
    const client = createClient({ url: `http://127.0.0.1:${port}` });

    const error = await failure(client.auth.me.query());

    expect(error.code).toBe('NETWORK');
    expect(error.message).toBe(
      `Cannot reach Trellis at http://127.0.0.1:${port}/trpc/auth.me: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expect(error.status).toBeUndefined();
    expect(error.cause).toBeInstanceOf(TypeError);
    expect(error.cause?.message).toBe('fetch failed');
  });

  it('leaves inputs out of the message', async () => {
    const port = await closedPort();
    const client = createClient({ url: `http://127.0.0.1:${port}` });
    const error = await failure(client.tasks.get.query({ taskId: 'secret-task-id' }));
    expect(error.code).toBe('NETWORK');
    expect(error.message).not.toContain('secret-task-id');
  });
});

describe('NOT_TRELLIS', () => {
  it('names the REST base given as url, with the status, the content type and what to check', async () => {
    const client = createClient({ url: `${server.url}/api/v1` });

    for (const call of [
      client.auth.me.query(),
      client.auth.signIn.mutate({ email: 'a@example.com', password: PASSWORD }),
    ]) {
      const error = await failure(call);
      expect(error.code).toBe('NOT_TRELLIS');
      expect(error.status).toBe(404);
      expect(error.message).toMatch(
        new RegExp(
          `^Not a Trellis answer from ${server.url}/api/v1/trpc/auth\\.\\w+ \\(HTTP 404 Not Found, application/json`,
        ),
      );
      expect(error.message).toContain(
        "Check the client's url option: it is the Trellis server's root",
      );
    }
  });

  it("names the server's root plus /trpc given as url (a Trellis 404 for no procedure)", async () => {
    const client = createClient({ url: `${server.url}/trpc` });
    const error = await failure(client.auth.me.query());
    expect([error.code, error.status]).toEqual(['NOT_TRELLIS', 404]);
    expect(error.message).toContain(`from ${server.url}/trpc/trpc/auth.me (HTTP 404`);
  });

  it("names a proxy's HTML error page, keeps its status, and still retries the query", async () => {
    let requests = 0;
    const proxy = await peer((_req, res) => {
      requests += 1;
      res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>502 Bad Gateway</h1>');
    });
    try {
      const error = await failure(createClient({ url: proxy.url }).auth.me.query());
      expect([error.code, error.status]).toEqual(['NOT_TRELLIS', 502]);
      expect(error.message).toContain('(HTTP 502 Bad Gateway, text/html)');
      expect(requests).toBe(MAX_QUERY_ATTEMPTS);
    } finally {
      await proxy.close();
    }
  });
});

describe('TIMEOUT', () => {
  it('gives up on a peer that never answers after timeoutMs, and aborts the request', async () => {
    const slow = await silentPeer();
    try {
      const client = createClient({ url: slow.url, timeoutMs: 300 });
      const arrived = slow.arrived();
      const call = failure(client.workspaces.create.mutate({ name: 'Slow', slug: 'slow' }));
      const request = await arrived;

      const error = await call;

      expect(error.code).toBe('TIMEOUT');
      expect(error.status).toBeUndefined();
      expect(error.message).toBe(
        `No answer from Trellis at ${slow.url}/trpc to workspaces.create within 300 ms (the client's timeoutMs); the call was abandoned; the server may still have done it`,
      );
      await slow.closed(request);
      expect(slow.seen).toHaveLength(1);
    } finally {
      await slow.close();
    }
  });

  it("is not what the caller's own abort reports", async () => {
    const slow = await silentPeer();
    try {
      const client = createClient({ url: slow.url, timeoutMs: 60_000 });
      const arrived = slow.arrived();
      const controller = new AbortController();
      const call = failure(client.auth.me.query(undefined, { signal: controller.signal }));
      const request = await arrived;

      controller.abort();

      const error = await call;
      expect(error.code).toBeUndefined();
      expect(error.cause?.name).toBe('AbortError');
      await slow.closed(request);
      expect(slow.seen).toHaveLength(1);
    } finally {
      await slow.close();
    }
  });

  it('leaves calls that answer in time alone', async () => {
    const client = createClient({ url: server.url, timeoutMs: 60_000 });
    expect((await failure(client.auth.me.query())).code).toBe('UNAUTHORIZED');
  });
});

describe("a rate-limited procedure's answers", () => {
  it('carry the rate limit on TrellisError, and Retry-After on the 429', async () => {
    const client = createClient({ url: server.url });
    const email = 'limited-client@example.com';
    await client.auth.signUp.mutate({ email, password: PASSWORD, name: 'Lim' });
    const attempt = () => failure(client.auth.signIn.mutate({ email, password: 'wrong password' }));

    const first = await attempt();
    expect(first.code).toBe('UNAUTHORIZED');
    expect(first.rateLimit).toEqual({ limit: 10, remaining: 9, resetSeconds: expect.any(Number) });
    expect(first.retryAfterSeconds).toBeUndefined();
    for (let i = 0; i < 9; i += 1) await attempt();

    const refused = await attempt();

    expect([refused.code, refused.status]).toEqual(['TOO_MANY_REQUESTS', 429]);
    expect(refused.rateLimit).toMatchObject({ limit: 10, remaining: 0 });
    expect(refused.retryAfterSeconds).toBeGreaterThan(0);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(600);
    expect(refused.rateLimit?.resetSeconds).toBe(refused.retryAfterSeconds);
  });

  it('are absent from an answer of a procedure without limits', async () => {
    const error = await failure(createClient({ url: server.url }).auth.me.query());
    expect([error.rateLimit, error.retryAfterSeconds]).toEqual([undefined, undefined]);
  });
});
