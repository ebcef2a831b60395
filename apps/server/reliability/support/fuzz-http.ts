// The fuzzing suite's transport: one case as raw HTTP to a real server (fetch, no client
// library, so that nothing cleans the input up on the way), and what came back.

/** What the server may answer to input it did not ask for (docs/api.md error table). */
export const ALLOWED_STATUSES: ReadonlyMap<number, string> = new Map([
  [200, 'success'],
  [207, 'a batch whose calls answered differently (each call is checked on its own)'],
  [400, 'BAD_REQUEST: input fails validation, or is not JSON'],
  [401, 'UNAUTHORIZED: no credential, or one the caller revoked itself'],
  [403, 'FORBIDDEN: role too low, API token on an account procedure, invite for another email'],
  [404, 'NOT_FOUND: unknown id, or one in a workspace the caller is not a member of'],
  [409, 'CONFLICT: duplicate slug/key/email, stale expectedVersion, last owner'],
  [413, 'PAYLOAD_TOO_LARGE: body over BODY_LIMIT_BYTES'],
  [414, 'URI too long (HTTP level)'],
  [415, 'UNSUPPORTED_MEDIA_TYPE (HTTP level)'],
  [429, 'TOO_MANY_REQUESTS: the limiter is not what is fuzzed, but it may answer'],
  [431, 'request header fields too large: a huge query input in the URL (HTTP level)'],
]);

/** How a case authenticates. */
export type CredentialKind = 'session' | 'cookie' | 'apiToken' | 'none';

/** What a case sends as its input(s). */
export type Payload =
  | { kind: 'json'; input: unknown }
  | { kind: 'raw'; text: string }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'oversize' };

/** One call of a request: a procedure path and its input. */
export interface Call {
  path: string;
  payload: Payload;
}

/** The credentials a case can pick from. */
export interface Credentials {
  sessionToken: string;
  apiToken: string;
}

/** One HTTP exchange, reduced to what the property checks. */
export interface Exchange {
  status: number;
  /** Each call's answer inside the body (one for single calls, n for batches). */
  answers: CallAnswer[];
  /** What was sent, shortened, for failure messages. */
  request: string;
  body: string;
}

const enc = new TextEncoder();

function headersFor(
  kind: CredentialKind,
  credentials: Credentials,
  origin: string,
): Record<string, string> {
  switch (kind) {
    case 'session':
      return { authorization: `Bearer ${credentials.sessionToken}` };
    case 'apiToken':
      return { authorization: `Bearer ${credentials.apiToken}` };
    case 'cookie':
      // A browser on our own page: the cookie, and our Origin (mutations need it).
      return { cookie: `trellis_session=${credentials.sessionToken}`, origin };
    case 'none':
      return {};
  }
}

function bodyBytes(payload: Payload, bodyLimit: number): Uint8Array | string | undefined {
  switch (payload.kind) {
    case 'json': {
      const text = JSON.stringify(payload.input);
      return text === undefined ? undefined : text;
    }
    case 'raw':
      return payload.text;
    case 'bytes':
      return payload.bytes;
    case 'oversize':
      return enc.encode(`{"title":"${'a'.repeat(bodyLimit + 1024)}"}`);
  }
}

/** The `input` query parameter for a GET: URL-encoded JSON, or raw bytes percent-encoded. */
function queryInput(payload: Payload, bodyLimit: number): string | undefined {
  const body = bodyBytes(payload, bodyLimit);
  if (body === undefined) return undefined;
  if (typeof body === 'string') return encodeURIComponent(body);
  return Array.from(body, (byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
}

/** One call's answer inside a reply body. */
export interface CallAnswer {
  status: number;
  /** An INTERNAL_SERVER_ERROR code, or a stack trace, in its error envelope. */
  internal: boolean;
}

/** Every call's answer a tRPC reply body reports (a batch reports one per call). */
function answersIn(text: string, status: number): CallAnswer[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return [{ status, internal: false }];
  }
  const items = Array.isArray(body) ? body : [body];
  return items.map((item: unknown): CallAnswer => {
    if (typeof item !== 'object' || item === null) return { status, internal: false };
    const error = (
      item as { error?: { data?: { httpStatus?: unknown; code?: unknown; stack?: unknown } } }
    ).error;
    if (error === undefined) return { status: 'result' in item ? 200 : status, internal: false };
    const reported = error.data?.httpStatus;
    return {
      status: typeof reported === 'number' ? reported : status,
      internal: error.data?.code === 'INTERNAL_SERVER_ERROR' || error.data?.stack !== undefined,
    };
  });
}

/**
 * Reads a subscription's first events, then hangs up. tRPC answers a subscription with 200
 * and `event: connected` before it checks anything; a refusal follows as a
 * `serialized-error` event, whose `httpStatus` is what the property checks.
 */
async function firstEvents(response: Response, ms: number): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const decoder = new TextDecoder();
  let text = '';
  let timer: NodeJS.Timeout | undefined;
  const quiet = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    // Until an event after `connected` arrives, or the stream is quiet for `ms`.
    while (!/event: (?!connected)/.test(text)) {
      const chunk = await Promise.race([reader.read(), quiet]);
      if (!chunk || chunk.done) break;
      text += decoder.decode(chunk.value, { stream: true });
    }
    return text;
  } finally {
    clearTimeout(timer);
    await reader.cancel().catch(() => undefined);
  }
}

/** The answer a subscription's first events give: its error's, or the stream's 200. */
function streamAnswer(text: string, status: number): CallAnswer {
  const error = /event: serialized-error\ndata: (.*)\n/.exec(text);
  return error?.[1]
    ? (answersIn(`{"error":${error[1]}}`, status)[0] as CallAnswer)
    : { status, internal: false };
}

/** Sends one request carrying `calls` (a batch when there are several, or when `batch`). */
export async function send(
  baseUrl: string,
  type: 'query' | 'mutation' | 'subscription',
  calls: readonly Call[],
  options: {
    credential: CredentialKind;
    credentials: Credentials;
    batch: boolean;
    bodyLimit: number;
  },
): Promise<Exchange> {
  const headers = headersFor(options.credential, options.credentials, baseUrl);
  const paths = calls.map((call) => call.path).join(',');
  const first = calls[0];
  if (!first) throw new Error('a request needs at least one call');
  // A batch's inputs go as one object keyed by position; a raw payload replaces all of it.
  const batchPayload = (): Payload => {
    const raw = calls.find((call) => call.payload.kind !== 'json');
    if (raw) return raw.payload;
    return {
      kind: 'json',
      input: Object.fromEntries(
        calls.map((call, index) => [String(index), (call.payload as { input: unknown }).input]),
      ),
    };
  };
  const payload = options.batch ? batchPayload() : first.payload;
  const search = options.batch ? ['batch=1'] : [];
  let init: RequestInit;
  if (type === 'mutation') {
    const body = bodyBytes(payload, options.bodyLimit);
    init = {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body,
    };
  } else {
    const input = queryInput(payload, options.bodyLimit);
    if (input !== undefined) search.push(`input=${input}`);
    init = { method: 'GET', headers };
  }
  const url = `${baseUrl}/trpc/${paths}${search.length > 0 ? `?${search.join('&')}` : ''}`;
  const request = `${init.method} ${url.slice(baseUrl.length, baseUrl.length + 300)} ${
    type === 'mutation' ? String(bodyBytes(payload, 0) ?? '').slice(0, 300) : ''
  } [${options.credential}]`;
  const controller = new AbortController();
  const response = await fetch(url, { ...init, signal: controller.signal });
  const streaming = response.headers.get('content-type')?.startsWith('text/event-stream');
  const text = streaming ? await firstEvents(response, 100) : await response.text();
  if (streaming) controller.abort();
  return {
    status: response.status,
    answers: streaming ? [streamAnswer(text, response.status)] : answersIn(text, response.status),
    request,
    body: text.slice(0, 500),
  };
}

/** Why an exchange breaks the property, or undefined when it keeps it. */
export function violation(exchange: Exchange): string | undefined {
  if (!ALLOWED_STATUSES.has(exchange.status)) return `HTTP ${exchange.status}`;
  const bad = exchange.answers.filter(
    (answer) => !ALLOWED_STATUSES.has(answer.status) || answer.status === 207 || answer.internal,
  );
  if (bad.length > 0) return `call answers ${bad.map((answer) => answer.status).join(',')}`;
  return undefined;
}
