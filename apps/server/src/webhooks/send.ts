import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { WebhookRequest, WebhookResponse, WebhookSend } from '@trellis/api';
import {
  addressProblem,
  parseTarget,
  type Resolve,
  refusedMessage,
  resolvedProblem,
  resolveWithSystem,
  type TargetPolicy,
} from './url-policy.js';

// Sends one webhook request to a URL an admin chose, without trusting it: the host is
// resolved by our own lookup, which refuses the connection if any address is refused and
// otherwise hands the socket the addresses it checked (DNS cannot answer differently between
// the check and the connect); redirects are not followed; the answer's body is read up to
// 1 KB and the connection dropped after; the whole exchange has one deadline.

export const DEFAULT_TIMEOUT_MS = 10_000;
export const USER_AGENT = 'Trellis-Webhooks/1';
/** The most of an answer's body that is read (and kept for the delivery log). */
export const MAX_EXCERPT_BYTES = 1024;
/** Idle kept-alive connections are closed after this, before most servers close them. */
const IDLE_SOCKET_MS = 4_000;

export interface SenderOptions {
  policy: TargetPolicy;
  /** The deadline for a whole request, from the lookup to the body's excerpt. */
  timeoutMs?: number;
  resolve?: Resolve;
}

/** A sender and the connections it keeps open between requests. */
export interface WebhookSender {
  send: WebhookSend;
  /** Closes the kept-alive connections (they never hold the process open anyway). */
  close(): void;
}

/** Raised by the lookup when a host resolves to a refused address. */
class RefusedTarget extends Error {}

function checkedLookup(policy: TargetPolicy, resolve: Resolve): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (all) => {
        const refusal = resolvedProblem(all, policy);
        if (refusal) {
          callback(new RefusedTarget(refusedMessage(refusal, false)), '', 0);
          return;
        }
        const wanted = all.filter((a) => !options.family || a.family === options.family);
        const first = wanted[0];
        if (!first) {
          const error: NodeJS.ErrnoException = new Error(`no address for ${hostname}`);
          error.code = 'ENOTFOUND';
          callback(error, '', 0);
        } else if (options.all) {
          callback(null, wanted);
        } else {
          callback(null, first.address, first.family);
        }
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/** A failure in a few words for the delivery log; never a stack or a whole message dump. */
function describeFailure(error: unknown, host: string): string {
  if (error instanceof RefusedTarget) return `refused: ${error.message}`;
  const first = error instanceof AggregateError ? error.errors[0] : error;
  const { code, message } = (first ?? {}) as NodeJS.ErrnoException;
  if (error instanceof Error && error.message === 'socket hang up') {
    return 'connection closed without an answer';
  }
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'connection reset';
    case 'ENOTFOUND':
      return `host does not resolve (${host})`;
    case 'EAI_AGAIN':
      return `host lookup failed for now (${host})`;
    case 'ETIMEDOUT':
      return 'connection timed out';
    case 'EHOSTUNREACH':
      return 'host unreachable';
    case 'ENETUNREACH':
      return 'network unreachable';
  }
  const text = (message || String(first)).slice(0, 200);
  if (code && /CERT|TLS|SSL|SELF_SIGNED|ALTNAME/.test(code)) return `TLS: ${text}`;
  return text;
}

function statusError(status: number): string | null {
  if (status >= 200 && status < 300) return null;
  if (status >= 300 && status < 400) return `HTTP ${status} (redirects are not followed)`;
  return `HTTP ${status}`;
}

/** Header names in lower case, so that ours replace a caller's whatever its spelling. */
function requestHeaders(request: WebhookRequest): Record<string, string | number> {
  const headers: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
  headers['content-type'] = 'application/json';
  headers['user-agent'] = USER_AGENT;
  headers['content-length'] = Buffer.byteLength(request.body);
  return headers;
}

/** A `WebhookSend` that applies `policy` to every request and never throws. */
export function createWebhookSender(options: SenderOptions): WebhookSender {
  const { policy, timeoutMs = DEFAULT_TIMEOUT_MS, resolve = resolveWithSystem } = options;
  const lookup = checkedLookup(policy, resolve);
  const agentOptions = { keepAlive: true, timeout: IDLE_SOCKET_MS };
  const agents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };

  const send: WebhookSend = (request) => {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const failure = (error: string): WebhookResponse => ({
      statusCode: null,
      latencyMs: elapsed(),
      error,
      responseExcerpt: null,
    });

    const target = parseTarget(request.url, policy);
    if ('problem' in target) return Promise.resolve(failure(`refused: URL ${target.problem}`));
    // Node connects to an IP literal without calling `lookup`: check it here.
    const literalRefusal = target.literal ? addressProblem(target.host, policy) : undefined;
    if (literalRefusal) {
      return Promise.resolve(failure(`refused: ${refusedMessage(literalRefusal, true)}`));
    }

    return new Promise<WebhookResponse>((settle) => {
      let settled = false;
      let onDeadline = () => finish(failure(`timed out after ${seconds(timeoutMs)}`));
      const deadline = setTimeout(() => {
        onDeadline();
        outgoing?.destroy();
      }, timeoutMs);
      const finish = (response: WebhookResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        settle(response);
      };

      let outgoing: http.ClientRequest | undefined;
      const attempt = (firstTry: boolean) => {
        try {
          const secure = target.url.protocol === 'https:';
          outgoing = (secure ? https : http).request(target.url, {
            method: 'POST',
            headers: requestHeaders(request),
            agent: secure ? agents.https : agents.http,
            lookup,
          });
        } catch (error) {
          // Headers Node refuses (a line break in a value…) throw before anything is sent.
          finish(failure(describeFailure(error, target.host)));
          return;
        }
        const current = outgoing;
        let answered = false;
        current.on('error', (error: NodeJS.ErrnoException) => {
          if (settled) return;
          // A kept-alive connection the receiver closed just as we reused it: try once on a
          // new one (receivers dedupe by webhook-id, so a repeat is harmless).
          if (firstTry && !answered && current.reusedSocket && error.code === 'ECONNRESET') {
            attempt(false);
          } else {
            finish(failure(describeFailure(error, target.host)));
          }
        });
        current.on('response', (answer) => {
          answered = true;
          const head = {
            statusCode: answer.statusCode ?? 0,
            latencyMs: elapsed(),
            error: statusError(answer.statusCode ?? 0),
          };
          readExcerpt(
            answer,
            (excerpt) => finish({ ...head, responseExcerpt: excerpt }),
            (read) => {
              // The deadline ends the body's reading, not the answer: the status decides.
              onDeadline = () => finish({ ...head, responseExcerpt: read() });
            },
          );
        });
        current.end(request.body);
      };
      attempt(true);
    });
  };

  return {
    send,
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

/**
 * Reads at most MAX_EXCERPT_BYTES of `answer`'s body, then drops the connection (a body
 * read to its end leaves it to be reused). `expose` gets a way to read what came so far.
 */
function readExcerpt(
  answer: IncomingMessage,
  done: (excerpt: string) => void,
  expose: (read: () => string) => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  // Streaming decode holds back a character cut in half at the limit.
  const read = () =>
    new TextDecoder().decode(Buffer.concat(chunks).subarray(0, MAX_EXCERPT_BYTES), {
      stream: true,
    });
  expose(read);
  const end = () => {
    answer.removeAllListeners('data');
    done(read());
  };
  answer.on('data', (chunk: Buffer) => {
    if (size < MAX_EXCERPT_BYTES) {
      chunks.push(chunk.subarray(0, MAX_EXCERPT_BYTES - size));
      size += Math.min(chunk.length, MAX_EXCERPT_BYTES - size);
    }
    if (size >= MAX_EXCERPT_BYTES) {
      answer.destroy();
      end();
    }
  });
  answer.on('end', end);
  answer.on('error', end);
  answer.on('close', end);
}
