/**
 * An answer that is not a tRPC answer (no JSON body): a proxy's error page, a 414 or 502
 * with HTML, a web page where the server should be. Thrown by the client's fetch so the
 * call's error keeps the HTTP status, content type and headers instead of a JSON syntax
 * error; the call's `TrellisError` says `NOT_TRELLIS` (or `TIMEOUT` for a 408).
 */
export class HttpError extends Error {
  readonly status: number;
  readonly statusText: string;
  /** The answer's `Content-Type`, or `''` when it had none. */
  readonly contentType: string;
  /** Where the request went, without its query string (inputs stay out of messages). */
  readonly url: string;
  readonly headers: Headers;

  constructor(
    status: number,
    statusText: string,
    answer: { contentType?: string; url?: string; headers?: Headers } = {},
  ) {
    super(`HTTP ${status}${statusText ? ` ${statusText}` : ''}`);
    this.name = 'HttpError';
    this.status = status;
    this.statusText = statusText;
    this.contentType = answer.contentType ?? '';
    this.url = answer.url ?? '';
    this.headers = answer.headers ?? new Headers();
  }
}

/**
 * No answer at all: refused, reset, a name that does not resolve. Only between the
 * client's fetch and its error link, which reports it as `NETWORK` with the fetch's own
 * error as `cause`.
 */
export class NetworkError extends TypeError {
  readonly url: string;

  constructor(url: string, cause: unknown) {
    super(`Cannot reach Trellis at ${url}: ${innermostMessage(cause)}`, { cause });
    this.name = 'NetworkError';
    this.url = url;
  }
}

/** The most specific reason in a chain of causes: `connect ECONNREFUSED 127.0.0.1:3000`. */
export function innermostMessage(error: unknown): string {
  let message = 'no answer';
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    if (current.message) message = current.message;
    else if ('code' in current && typeof current.code === 'string') message = current.code;
    current =
      current instanceof AggregateError && current.errors.length > 0
        ? current.errors[0]
        : current.cause;
  }
  return message;
}

/** A URL without its query string or fragment: the inputs of a GET stay out of messages. */
export function withoutQuery(url: string): string {
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

function urlOf(input: Parameters<typeof fetch>[0]): string {
  return withoutQuery(input instanceof Request ? input.url : String(input));
}

/**
 * Wraps `send` so that what is not a Trellis answer fails in a way the error link can name:
 * no answer throws a `NetworkError` (an abort stays the caller's `AbortError`), and an
 * answer without a JSON body throws an `HttpError`.
 */
export function statusAwareFetch(send: typeof fetch): typeof fetch {
  return async (input, init) => {
    let response: Response;
    try {
      response = await send(input, init);
    } catch (cause) {
      if (init?.signal?.aborted) throw cause;
      throw new NetworkError(urlOf(input), cause);
    }
    const contentType = response.headers.get('content-type') ?? '';
    if (contentType.includes('json')) return response;
    // Free the connection: nobody will read this body.
    await response.body?.cancel();
    throw new HttpError(response.status, response.statusText, {
      contentType,
      url: withoutQuery(response.url || urlOf(input)),
      headers: response.headers,
    });
  };
}
