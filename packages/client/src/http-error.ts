/**
 * A response that is not a tRPC answer: a proxy's error page, a 414 or 502 with HTML.
 * Thrown by the client's fetch so the call's error keeps the HTTP status instead of a
 * JSON syntax error.
 */
export class HttpError extends Error {
  readonly status: number;

  constructor(status: number, statusText: string) {
    super(`HTTP ${status}${statusText ? ` ${statusText}` : ''}`);
    this.name = 'HttpError';
    this.status = status;
  }
}

/** Wraps `send` so that a failed response without a JSON body throws an `HttpError`. */
export function statusAwareFetch(send: typeof fetch): typeof fetch {
  return async (input, init) => {
    const response = await send(input, init);
    const json = response.headers.get('content-type')?.includes('json') ?? false;
    if (response.ok || json) return response;
    // Free the connection: nobody will read this body.
    await response.body?.cancel();
    throw new HttpError(response.status, response.statusText);
  };
}
