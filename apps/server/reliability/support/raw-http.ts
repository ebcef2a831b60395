import { connect, type Socket } from 'node:net';

// HTTP/1.1 spoken byte by byte over node:net, for requests no HTTP client will send:
// invalid UTF-8 in the request line, thousands of headers, bodies that disagree with
// their Content-Length, headers dribbled one byte at a time. Answers are parsed just
// enough to know their status and when they are complete.

/** What came back on one connection. */
export interface RawReply {
  /** The first answer's status, or null when the connection closed (or timed out) without one. */
  status: number | null;
  /** Every status line received, in order (a pipelined second request answers too). */
  statuses: number[];
  headers: Record<string, string>;
  /** The first answer's body (chunked encoding decoded). */
  body: string;
  /** The server closed the connection (rather than the reply being complete on a kept-alive one). */
  closed: boolean;
  /** Nothing conclusive arrived within the time allowed. */
  timedOut: boolean;
  /** From the first byte written to the reply being complete (or the connection closing). */
  elapsedMs: number;
}

/** Where a raw request goes. */
export interface Target {
  port: number;
  host?: string;
}

/** The port of a `http://127.0.0.1:<port>` base URL. */
export function targetOf(url: string): Target {
  return { port: Number(new URL(url).port), host: '127.0.0.1' };
}

function open(target: Target): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(target.port, target.host ?? '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

const STATUS_LINE = /HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n/g;

/** Whether `raw` holds one whole answer: its head, and its body by length or chunk end. */
function complete(raw: string): boolean {
  const headEnd = raw.indexOf('\r\n\r\n');
  if (headEnd === -1) return false;
  const head = raw.slice(0, headEnd).toLowerCase();
  const body = raw.slice(headEnd + 4);
  const length = /\r\ncontent-length: *(\d+)/.exec(head);
  if (length) return Buffer.byteLength(body) >= Number(length[1]);
  if (/\r\ntransfer-encoding: *chunked/.test(head)) return body.includes('0\r\n\r\n');
  return /^http\/1\.[01] (1\d\d|204|304)/.test(head);
}

/** A chunked body's data, as far as it arrived. */
function dechunk(sent: string): string {
  let data = '';
  let at = 0;
  for (;;) {
    const lineEnd = sent.indexOf('\r\n', at);
    if (lineEnd === -1) return data;
    const size = Number.parseInt(sent.slice(at, lineEnd), 16);
    if (!(size > 0)) return data;
    data += sent.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}

function parse(raw: string, closed: boolean, timedOut: boolean, elapsedMs: number): RawReply {
  const statuses = [...raw.matchAll(STATUS_LINE)].map((match) => Number(match[1]));
  const headEnd = raw.indexOf('\r\n\r\n');
  const headers: Record<string, string> = {};
  for (const line of raw.slice(0, Math.max(headEnd, 0)).split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0)
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const sent = headEnd === -1 ? '' : raw.slice(headEnd + 4);
  const body = headers['transfer-encoding'] === 'chunked' ? dechunk(sent) : sent;
  return { status: statuses[0] ?? null, statuses, headers, body, closed, timedOut, elapsedMs };
}

/** Options of {@link exchange}. */
export interface ExchangeOptions {
  /** Give up after this long (the reply then says `timedOut`). */
  timeoutMs?: number;
  /** Keep reading after the first complete answer until the server closes (pipelining). */
  untilClose?: boolean;
  /** Half-close the connection after writing (the client has nothing more to send). */
  end?: boolean;
}

/**
 * Writes `request` (bytes exactly as given) on a fresh connection and reads the answer: to
 * its end when it is complete, or until the server closes the connection.
 */
export async function exchange(
  target: Target,
  request: string | Buffer | readonly (string | Buffer)[],
  { timeoutMs = 10_000, untilClose = false, end = false }: ExchangeOptions = {},
): Promise<RawReply> {
  const socket = await open(target);
  const started = performance.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (closed: boolean, timedOut: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const raw = Buffer.concat(chunks).toString('latin1');
      resolve(parse(raw, closed, timedOut, performance.now() - started));
    };
    const timer = setTimeout(() => finish(false, true), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (!untilClose && complete(Buffer.concat(chunks).toString('latin1'))) finish(false, false);
    });
    socket.on('error', () => finish(true, false));
    socket.on('close', () => finish(true, false));
    const parts = Array.isArray(request) ? request : [request];
    for (const part of parts as (string | Buffer)[]) socket.write(part);
    if (end) socket.end();
  });
}

/** What a dribbling client saw. */
export interface DribbleResult {
  /** The status the server answered with before closing, if any (408 for a timeout). */
  status: number | null;
  /** Milliseconds from the connection opening to the server cutting it off (or the bound). */
  cutOffAfterMs: number;
  /** Bytes written before the server cut the connection. */
  bytesSent: number;
  /** The server never cut it off within the bound. */
  survived: boolean;
}

/**
 * Opens a connection and writes `prefix` at once, then `trickle` one byte every
 * `intervalMs` (looping over it), until the server answers or closes, or `boundMs` passes.
 */
export async function dribble(
  target: Target,
  {
    prefix,
    trickle,
    intervalMs,
    boundMs,
  }: {
    prefix: string;
    trickle: string;
    intervalMs: number;
    boundMs: number;
  },
): Promise<DribbleResult> {
  const socket = await open(target);
  const started = performance.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytesSent = 0;
    let index = 0;
    let settled = false;
    const finish = (survived: boolean) => {
      if (settled) return;
      settled = true;
      clearInterval(ticker);
      clearTimeout(bound);
      socket.destroy();
      const raw = Buffer.concat(chunks).toString('latin1');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(raw)?.[1];
      resolve({
        status: status === undefined ? null : Number(status),
        cutOffAfterMs: performance.now() - started,
        bytesSent,
        survived,
      });
    };
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(false));
    socket.write(prefix);
    bytesSent += Buffer.byteLength(prefix);
    const ticker = setInterval(() => {
      if (socket.destroyed || !socket.writable) return;
      socket.write(trickle[index % trickle.length] as string);
      index += 1;
      bytesSent += 1;
    }, intervalMs);
    const bound = setTimeout(() => finish(true), boundMs);
  });
}

/** A complete request: request line, headers (Host and Connection: close added), body. */
export function request(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
): Buffer {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  if (body !== undefined && !('content-length' in lowerKeys(headers))) {
    lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  }
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  return body === undefined ? head : Buffer.concat([head, Buffer.from(body)]);
}

function lowerKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}
