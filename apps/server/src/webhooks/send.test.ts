import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dnsAnswers } from '../test/dns-answers.js';
import { createWebhookSender, USER_AGENT, type WebhookSender } from './send.js';
import { checkTargetUrl, type Resolve, type TargetPolicy } from './url-policy.js';

// The sender against a real HTTP receiver on 127.0.0.1: what it sends, what it makes of
// each kind of answer, and every way a URL could reach an address it must not.

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  remotePort: number;
}

type Route = (req: IncomingMessage, res: ServerResponse) => void;

/** A receiver that records every request, answering each path with its route. */
async function startReceiver(routes: Record<string, Route>, host = '127.0.0.1') {
  const received: Received[] = [];
  const arrivals: Array<(r: Received) => void> = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = req.url ?? '/';
    const record = {
      path,
      headers: req.headers,
      body: Buffer.concat(chunks).toString(),
      remotePort: req.socket.remotePort ?? 0,
    };
    received.push(record);
    for (const wake of arrivals.splice(0)) wake(record);
    (routes[path] ?? ((_, r) => r.writeHead(404).end()))(req, res);
  });
  server.listen(0, host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: (path: string) => `http://${host.includes(':') ? `[${host}]` : host}:${port}${path}`,
    received,
    /** Resolves with the next request to arrive. */
    next: () => new Promise<Received>((resolve) => arrivals.push(resolve)),
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

const onPremise: TargetPolicy = { httpsOnly: false, allowPrivate: true };
const strict: TargetPolicy = { httpsOnly: false, allowPrivate: false };

/** The receiver's unending answer: still writing when the sender hangs up. */
const endless: { closed?: Promise<unknown>; ended: boolean } = { ended: false };
/** Answers whose end the test decides (a slow receiver). */
const held: ServerResponse[] = [];
/** Connections that carried a request already. */
const usedSockets = new WeakSet<object>();

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let sender: WebhookSender;
beforeAll(async () => {
  receiver = await startReceiver({
    '/ok': (req, res) => {
      usedSockets.add(req.socket);
      res.writeHead(200).end('thanks');
    },
    '/empty': (_, res) => res.writeHead(204).end(),
    '/fail': (_, res) => res.writeHead(500).end('boom'),
    '/moved': (_, res) => res.writeHead(301, { location: '/target' }).end(),
    '/target': (_, res) => res.writeHead(200).end('should never be reached'),
    '/slow': (_, res) => held.push(res),
    '/slow-body': (_, res) => {
      res.writeHead(202).write('partial');
      held.push(res);
    },
    // Closes a kept-alive connection on its next request, as a receiver's idle timeout can.
    '/drop-reused': (req, res) => {
      if (usedSockets.has(req.socket)) req.socket.destroy();
      else res.writeHead(200).end('fresh');
    },
    '/utf8': (_, res) => res.writeHead(200).end(`${'a'.repeat(1023)}€ and more`),
    '/huge': (_, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      endless.closed = once(res, 'close');
      const block = Buffer.alloc(64 * 1024, 'x');
      // Writes while the socket takes it, forever: only the sender hanging up stops it.
      const pump = () => {
        while (!res.destroyed && res.write(block));
      };
      res.on('drain', pump);
      pump();
      res.on('finish', () => {
        endless.ended = true;
      });
    },
  });
  sender = createWebhookSender({ policy: onPremise, timeoutMs: 10_000 });
});
afterAll(async () => {
  for (const res of held) res.destroy();
  sender.close();
  await receiver.close();
});

const request = (url: string, headers: Record<string, string> = {}) => ({
  url,
  headers: { 'webhook-id': 'evt_1', ...headers },
  body: JSON.stringify({ type: 'task.created', data: { title: 'Ünïcode ✓' } }),
});

describe('createWebhookSender', () => {
  it('POSTs the body and headers, with its own content type and user agent; 2xx is delivered', async () => {
    const sent = request(receiver.url('/ok'), { 'Content-Type': 'text/plain' });
    const response = await sender.send(sent);

    expect(response).toEqual({
      statusCode: 200,
      latencyMs: expect.any(Number),
      error: null,
      responseExcerpt: 'thanks',
    });
    expect(Number.isInteger(response.latencyMs)).toBe(true);
    const got = receiver.received.at(-1);
    expect(got?.body).toBe(sent.body);
    expect(got?.headers).toMatchObject({
      'webhook-id': 'evt_1',
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'content-length': String(Buffer.byteLength(sent.body)),
    });
    expect(await sender.send(request(receiver.url('/empty')))).toMatchObject({
      statusCode: 204,
      error: null,
      responseExcerpt: '',
    });
  });

  it('reuses the connection after an answer read to its end', async () => {
    await sender.send(request(receiver.url('/ok')));
    await sender.send(request(receiver.url('/ok')));
    const [a, b] = receiver.received.slice(-2);
    expect(a?.remotePort).toBe(b?.remotePort);
  });

  it('sends again on a new connection when a kept-alive one was closed under it', async () => {
    await sender.send(request(receiver.url('/ok')));
    const reused = receiver.received.at(-1);
    const response = await sender.send(request(receiver.url('/drop-reused')));
    expect(response).toMatchObject({ statusCode: 200, error: null, responseExcerpt: 'fresh' });
    const [dropped, fresh] = receiver.received.slice(-2);
    expect(dropped?.remotePort).toBe(reused?.remotePort);
    expect(fresh?.path).toBe('/drop-reused');
    expect(fresh?.remotePort).not.toBe(reused?.remotePort);
  });

  it('reports a non-2xx answer as a failure with its status and body', async () => {
    expect(await sender.send(request(receiver.url('/fail')))).toMatchObject({
      statusCode: 500,
      error: 'HTTP 500',
      responseExcerpt: 'boom',
    });
  });

  it('does not follow a redirect: the target receives nothing', async () => {
    const before = receiver.received.length;
    expect(await sender.send(request(receiver.url('/moved')))).toMatchObject({
      statusCode: 301,
      error: 'HTTP 301 (redirects are not followed)',
    });
    // A client that follows redirects asks for the target before it answers.
    expect(receiver.received.slice(before).map((r) => r.path)).toEqual(['/moved']);
  });

  it('gives up on a receiver that does not answer in time', async () => {
    const impatient = createWebhookSender({ policy: onPremise, timeoutMs: 300 });
    try {
      const arrived = receiver.next();
      const response = await impatient.send(request(receiver.url('/slow')));
      expect((await arrived).path).toBe('/slow');
      expect(response).toEqual({
        statusCode: null,
        latencyMs: expect.any(Number),
        error: 'timed out after 0.3 s',
        responseExcerpt: null,
      });
      expect(response.latencyMs).toBeGreaterThanOrEqual(290);
    } finally {
      impatient.close();
    }
  });

  it('keeps a 2xx whose body is slow: the deadline ends the reading, not the delivery', async () => {
    // Long enough for the head to come on a busy machine; the body never ends.
    const patient = createWebhookSender({ policy: onPremise, timeoutMs: 1500 });
    try {
      expect(await patient.send(request(receiver.url('/slow-body')))).toMatchObject({
        statusCode: 202,
        error: null,
        responseExcerpt: 'partial',
      });
    } finally {
      patient.close();
    }
  });

  it('reads at most 1 KB of a huge body and hangs up while the receiver is still writing', async () => {
    const response = await sender.send(request(receiver.url('/huge')));
    expect(response.statusCode).toBe(200);
    expect(response.responseExcerpt).toBe('x'.repeat(1024));
    expect(endless.ended).toBe(false);
    await endless.closed;
    expect(endless.ended).toBe(false);
  });

  it('cuts the excerpt before a character split at 1 KB', async () => {
    const { responseExcerpt } = await sender.send(request(receiver.url('/utf8')));
    expect(responseExcerpt).toBe('a'.repeat(1023));
  });

  it('reports network failures in a few words and never throws', async () => {
    const gone = await startReceiver({});
    const url = gone.url('/');
    await gone.close();
    expect(await sender.send(request(url))).toEqual({
      statusCode: null,
      latencyMs: expect.any(Number),
      error: 'connection refused',
      responseExcerpt: null,
    });
    expect((await sender.send(request('http://nothing-here.invalid/'))).error).toBe(
      'host does not resolve (nothing-here.invalid)',
    );
    const badHeader = await sender.send(request(receiver.url('/ok'), { 'x-note': 'a\r\nb' }));
    expect(badHeader).toMatchObject({ statusCode: null, error: expect.stringMatching(/header/i) });
  });
});

describe('createWebhookSender refuses what the policy refuses', () => {
  let guarded: WebhookSender;
  beforeAll(() => {
    guarded = createWebhookSender({ policy: strict, timeoutMs: 2000 });
  });
  afterAll(() => guarded.close());

  it('refuses every private kind of address, by literal or by name, and sends nothing', async () => {
    const before = receiver.received.length;
    const { port } = receiver;
    const refusals = {
      [receiver.url('/ok')]: 'refused: points at a loopback address (127.0.0.1)',
      [`http://localhost:${port}/ok`]: 'refused: resolves to a loopback address (127.0.0.1)',
      [`http://[::ffff:127.0.0.1]:${port}/ok`]:
        'refused: points at a loopback address (::ffff:7f00:1)',
      [`http://0x7f.1:${port}/ok`]: 'refused: points at a loopback address (127.0.0.1)',
      [`http://2130706433:${port}/ok`]: 'refused: points at a loopback address (127.0.0.1)',
      [`http://0.0.0.0:${port}/ok`]: 'refused: points at an unspecified address (0.0.0.0)',
      [`http://[::]:${port}/ok`]: 'refused: points at an unspecified address (::)',
      [`http://[::1]:${port}/ok`]: 'refused: points at a loopback address (::1)',
      'http://10.0.0.1/': 'refused: points at a private address (10.0.0.1)',
      'http://172.16.5.4/': 'refused: points at a private address (172.16.5.4)',
      'http://192.168.0.10/': 'refused: points at a private address (192.168.0.10)',
      'http://[fd00::1]/': 'refused: points at a private address (fd00::1)',
      'http://169.254.169.254/': 'refused: points at a cloud metadata address (169.254.169.254)',
      'http://metadata.google.internal/':
        'refused: URL names a cloud metadata service (metadata.google.internal)',
      'http://[fe80::1]/': 'refused: points at a link-local address (fe80::1)',
      'http://100.64.0.1/': 'refused: points at a shared (carrier-grade NAT) address (100.64.0.1)',
      'http://224.0.0.1/': 'refused: points at a multicast address (224.0.0.1)',
      'http://255.255.255.255/': 'refused: points at a reserved address (255.255.255.255)',
      'http://[64:ff9b::7f00:1]/': 'refused: points at a loopback address (64:ff9b::7f00:1)',
      'http://[2002:7f00:1::1]/': 'refused: points at a loopback address (2002:7f00:1::1)',
      'http://user:pw@hooks.example.com/': 'refused: URL must not contain a user name or password',
    };
    for (const [url, error] of Object.entries(refusals)) {
      expect({ url, ...(await guarded.send(request(url))) }).toEqual({
        url,
        statusCode: null,
        latencyMs: expect.any(Number),
        error,
        responseExcerpt: null,
      });
    }
    expect(receiver.received.length).toBe(before);
  });

  it('refuses a name with any private address, and checks the address it connects to', async () => {
    // DNS rebinding: public when the URL was saved, the receiver's loopback at send time.
    let calls = 0;
    const rebinding: Resolve = async () => {
      calls += 1;
      return [{ address: calls === 1 ? '93.184.215.14' : '127.0.0.1', family: 4 }];
    };
    const url = `http://rebind.example.com:${receiver.port}/ok`;
    expect(await checkTargetUrl(url, strict, rebinding)).toBeUndefined();
    const rebound = createWebhookSender({ policy: strict, resolve: rebinding });
    const mixed = createWebhookSender({
      policy: strict,
      resolve: dnsAnswers({ 'mixed.example.com': ['93.184.215.14', '10.0.0.1'] }),
    });
    try {
      const before = receiver.received.length;
      expect((await rebound.send(request(url))).error).toBe(
        'refused: resolves to a loopback address (127.0.0.1)',
      );
      expect((await mixed.send(request('http://mixed.example.com/'))).error).toBe(
        'refused: resolves to a private address (10.0.0.1)',
      );
      expect(receiver.received.length).toBe(before);
    } finally {
      rebound.close();
      mixed.close();
    }
  });

  it('connects to the address its own lookup checked, asking DNS once', async () => {
    let lookups = 0;
    const named = createWebhookSender({
      policy: onPremise,
      resolve: async (hostname) => {
        lookups += 1;
        return dnsAnswers({ 'hooks.internal.test': ['127.0.0.1'] })(hostname);
      },
    });
    try {
      const response = await named.send(request(`http://hooks.internal.test:${receiver.port}/ok`));
      expect(response).toMatchObject({ statusCode: 200, error: null });
      expect(receiver.received.at(-1)?.headers.host).toBe(`hooks.internal.test:${receiver.port}`);
      expect(lookups).toBe(1);
    } finally {
      named.close();
    }
  });

  it('refuses http: in production, and the metadata address even when private ones are allowed', async () => {
    const production = createWebhookSender({ policy: { httpsOnly: true, allowPrivate: true } });
    try {
      expect((await production.send(request(receiver.url('/ok')))).error).toBe(
        'refused: URL must start with https:// (the server runs in production)',
      );
    } finally {
      production.close();
    }
    expect((await sender.send(request('http://169.254.169.254/latest/'))).error).toBe(
      'refused: points at a cloud metadata address (169.254.169.254)',
    );
  });

  it('delivers to loopback by name and by IPv6 when private addresses are allowed', async () => {
    expect(await sender.send(request(`http://localhost:${receiver.port}/ok`))).toMatchObject({
      statusCode: 200,
      error: null,
    });
    const v6 = await startReceiver({ '/ok': (_, res) => res.writeHead(200).end('v6') }, '::1');
    try {
      expect(await sender.send(request(v6.url('/ok')))).toMatchObject({
        statusCode: 200,
        responseExcerpt: 'v6',
      });
    } finally {
      await v6.close();
    }
  });
});
