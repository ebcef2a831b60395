// One real server per test file, spoken to over raw HTTP: fetch, plus node:http and
// node:net for requests fetch cannot express. Every answer is recorded, and a test during
// which the server answered 5xx fails, whatever it asserted itself.
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { ServerConfig } from '../../src/config.js';
import {
  type DocumentPaths,
  type ObservedAnswer,
  undocumentedAnswers,
} from './documented-statuses.js';
import { startTestServer, type TestServer } from './server.js';
import { parseJson, type Reply } from './wire.js';

/** Credentials and headers of one call. */
export interface CallOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Sent as the `trellis_session` cookie. */
  cookie?: string;
  /** Sent as the `Origin` header. */
  origin?: string;
  headers?: Record<string, string>;
}

/** A request node:http sends as given, Host header included. */
export interface RawRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** The ways to talk to a server; plain functions, safe to destructure. */
export interface Transport {
  /** A fetch to the server. */
  send(path: string, init?: RequestInit): Promise<Reply>;
  /** A tRPC query: `GET /trpc/<path>?input=<json>` (no `input` when it is undefined). */
  query(path: string, input?: unknown, options?: CallOptions): Promise<Reply>;
  /** A tRPC mutation: `POST /trpc/<path>` with the JSON input as body. */
  mutate(path: string, input: unknown, options?: CallOptions): Promise<Reply>;
  /** A node:http request, for headers fetch will not send as given (Host). */
  rawHttp(request: RawRequest): Promise<Reply>;
  /** Raw bytes over a socket, for requests no HTTP client would build (HTTP/1.0, no Host). */
  rawSocket(payload: string): Promise<Reply>;
}

/** The file's server and the ways to talk to it. */
export interface Wire extends Transport {
  /** The running server (from the file's beforeAll on). */
  readonly server: TestServer;
  /** Records a status answered outside these functions (an event stream's). */
  record(request: string, status: number): void;
}

export function headersFor({
  token,
  cookie,
  origin,
  headers,
}: CallOptions): Record<string, string> {
  const out: Record<string, string> = { ...headers };
  if (token !== undefined) out.authorization = `Bearer ${token}`;
  if (cookie !== undefined) out.cookie = `trellis_session=${cookie}`;
  if (origin !== undefined) out.origin = origin;
  return out;
}

/** `?input=<json>`, as tRPC reads a query's input. */
export function inputQuery(input: unknown): string {
  return `?input=${encodeURIComponent(JSON.stringify(input))}`;
}

/**
 * Talks to `target` (a server, or a function that finds it when called); every answer's
 * status goes to `onAnswer`.
 */
export function wireTo(
  target: TestServer | (() => TestServer),
  onAnswer: (request: string, status: number) => void = () => {},
): Transport {
  const server = typeof target === 'function' ? target : () => target;
  const recorded = (request: string, reply: Reply): Reply => {
    onAnswer(request, reply.status);
    return reply;
  };
  const port = () => Number(new URL(server().url).port);

  const send: Transport['send'] = async (path, init = {}) => {
    const response = await fetch(`${server().url}${path}`, init);
    const text = await response.text();
    return recorded(`${init.method ?? 'GET'} ${path}`, {
      status: response.status,
      headers: response.headers,
      text,
      json: parseJson(text),
    });
  };

  const rawHttp: Transport['rawHttp'] = ({ method, path, headers = {}, body }) =>
    new Promise((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port: port(), method, path, headers, setHost: !('host' in headers) },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const replyHeaders = new Headers();
            for (const [name, value] of Object.entries(res.headers)) {
              for (const item of Array.isArray(value) ? value : [value ?? '']) {
                replyHeaders.append(name, item);
              }
            }
            resolve(
              recorded(`${method} ${path} (node:http)`, {
                status: res.statusCode ?? 0,
                headers: replyHeaders,
                text,
                json: parseJson(text),
              }),
            );
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  const rawSocket: Transport['rawSocket'] = (payload) =>
    new Promise((resolve, reject) => {
      const socket = connect(port(), '127.0.0.1', () => socket.write(payload));
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('error', reject);
      socket.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const [head = '', ...rest] = raw.split('\r\n\r\n');
        const text = rest.join('\r\n\r\n');
        const [statusLine = '', ...headerLines] = head.split('\r\n');
        const headers = new Headers();
        for (const line of headerLines) {
          const colon = line.indexOf(':');
          if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
        }
        const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
        resolve(
          recorded(`raw socket ${payload.split('\r\n').slice(0, 2).join(' | ')}`, {
            status,
            headers,
            text,
            json: parseJson(text),
          }),
        );
      });
    });

  return {
    send,
    query: (path, input, options = {}) =>
      send(`/trpc/${path}${input === undefined ? '' : inputQuery(input)}`, {
        headers: headersFor(options),
      }),
    mutate: (path, input, options = {}) =>
      send(`/trpc/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headersFor(options) },
        body: JSON.stringify(input),
      }),
    rawHttp,
    rawSocket,
  };
}

/**
 * Starts a server for this file (beforeAll), closes it (afterAll), and after each test
 * asserts that no request the test made was answered with a 5xx. Before closing, asserts
 * that the OpenAPI document the server serves lists every status the file observed
 * (documented-statuses.ts).
 */
export function serveThisFile(overrides: Partial<ServerConfig> = {}): Wire {
  let server: TestServer | undefined;
  let seen: { status: number; request: string }[] = [];
  const observed: ObservedAnswer[] = [];

  beforeAll(async () => {
    server = await startTestServer(overrides);
  });
  afterAll(async () => {
    try {
      if (server && observed.length > 0) {
        const document = (await (
          await fetch(`${server.url}/api/openapi.json`)
        ).json()) as DocumentPaths;
        expect(
          undocumentedAnswers(document, observed),
          'statuses answered that /api/openapi.json does not list',
        ).toEqual([]);
      }
    } finally {
      await server?.close();
    }
  });
  afterEach(() => {
    const failed = seen.filter(({ status }) => status >= 500);
    seen = [];
    expect(failed, 'requests answered with a 5xx').toEqual([]);
  });

  const running = (): TestServer => {
    if (!server) throw new Error('the test server is not running (call from a test or hook)');
    return server;
  };
  const record = (request: string, status: number) => {
    seen.push({ status, request: request.slice(0, 200) });
    observed.push({ request, status });
  };
  return {
    get server() {
      return running();
    },
    ...wireTo(running, record),
    record,
  };
}
