import type { FieldErrors, TrellisErrorData } from '@trellis/api';
import { TRPCClientError, type TRPCLink } from '@trpc/client';
import { observable } from '@trpc/server/observable';
import { HttpError, innermostMessage, NetworkError, withoutQuery } from './http-error.js';
import { type RateLimitInfo, rateLimitOf, retryAfterOf } from './rate-limit.js';
import type { AppRouter } from './router.js';
import { CallTimeout } from './timeout.js';

/**
 * The client's own codes, for calls no Trellis answer decided: `NETWORK` (no answer at
 * all), `NOT_TRELLIS` (an answer, but not from a Trellis server's /trpc), `TIMEOUT` (no
 * answer within `timeoutMs`; also the server's own 408); and `WEBHOOK_INVALID`, from
 * `verifyWebhook` (a request that is not a signed, current Trellis event).
 */
export const CLIENT_ERROR_CODES = ['NETWORK', 'NOT_TRELLIS', 'TIMEOUT', 'WEBHOOK_INVALID'] as const;

/** One of {@link CLIENT_ERROR_CODES}. */
export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[number];

/** What went wrong: a contract code the server answered (`'NOT_FOUND'`) or the client's own. */
export type TrellisErrorCode = TrellisErrorData['code'] | ClientErrorCode;

const NOT_TRELLIS_ADVICE =
  "Check the client's url option: it is the Trellis server's root (e.g. https://trellis.example.com), " +
  'not its /api/v1 or /trpc path; a proxy or another server may be answering there.';

/** How an answer that is not a Trellis answer is described: what came back, what to check. */
function notTrellisMessage(url: string, status: number, statusText: string, type: string) {
  const what = `HTTP ${status}${statusText ? ` ${statusText}` : ''}, ${type || 'no content type'}`;
  return `Not a Trellis answer from ${url || 'the server'} (${what}). ${NOT_TRELLIS_ADVICE}`;
}

function describeResponse(response: Response, said?: string): string {
  const type = response.headers.get('content-type') ?? '';
  const message = notTrellisMessage(
    withoutQuery(response.url),
    response.status,
    response.statusText,
    type,
  );
  return said ? `${message} It said: "${said}"` : message;
}

/** Why `verifyWebhook` refused a request; only on its way into a `TrellisError`. */
class WebhookInvalid extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'WebhookInvalid';
  }
}

/**
 * The `WEBHOOK_INVALID` error `verifyWebhook` throws: `message` says what was wrong, `cause`
 * is the verifying library's (or JSON's) own error when one was thrown.
 */
export function webhookInvalid(message: string, cause?: unknown): TrellisError {
  return new TrellisError(TRPCClientError.from<AppRouter>(new WebhookInvalid(message, cause)));
}

interface Diagnosis {
  code: TrellisErrorCode | undefined;
  message: string;
  cause: unknown;
  headers: Headers | undefined;
}

/** Names what a failed call met, from what tRPC's links handed over. */
function diagnose(error: TRPCClientError<AppRouter>): Diagnosis {
  const { cause } = error;
  const meta = error.meta?.response;
  const response = meta instanceof Response ? meta : undefined;
  const headers = response?.headers;
  if (error.data) {
    // A Trellis server's own 404 for a path that is no procedure's (`url` ending in /trpc
    // or naming another path): every procedure's answer names its path.
    if (error.data.code === 'NOT_FOUND' && error.data.path === undefined && response) {
      const message = describeResponse(response, error.message);
      return { code: 'NOT_TRELLIS', message, cause, headers };
    }
    return { code: error.data.code, message: error.message, cause, headers };
  }
  if (cause instanceof NetworkError) {
    // The fetch's own error stays the cause, as before these codes existed.
    return { code: 'NETWORK', message: cause.message, cause: cause.cause, headers };
  }
  if (cause instanceof CallTimeout)
    return { code: 'TIMEOUT', message: cause.message, cause, headers };
  if (cause instanceof WebhookInvalid) {
    return { code: 'WEBHOOK_INVALID', message: cause.message, cause: cause.cause, headers };
  }
  if (cause instanceof HttpError) {
    const { url, status, statusText, contentType } = cause;
    if (status === 408) {
      // A proxy's (or the server's) page: the request took too long to arrive there.
      const message = `${withoutQuery(url) || 'The server'} answered HTTP 408${statusText ? ` ${statusText}` : ''}: the request took too long to arrive (a slow or stalled upload, or a proxy's deadline)`;
      return { code: 'TIMEOUT', message, cause, headers: cause.headers };
    }
    return {
      code: 'NOT_TRELLIS',
      message: notTrellisMessage(url, status, statusText, contentType),
      cause,
      headers: cause.headers,
    };
  }
  if (cause instanceof TypeError && !response) {
    // What fetch rejects with when no answer came, from a fetch not wrapped by this client
    // (the subscription link's, or an error built by hand).
    const message = `Cannot reach Trellis: ${innermostMessage(cause)}`;
    return { code: 'NETWORK', message, cause, headers };
  }
  if (response) {
    // JSON, but not shaped as tRPC's answers (another API's error, a REST body).
    return { code: 'NOT_TRELLIS', message: describeResponse(response), cause, headers };
  }
  return { code: undefined, message: error.message, cause, headers };
}

/**
 * Why a call failed. `code` is the server's contract code (`fieldErrors`, `status` and
 * `message` from its answer), or the client's own when no Trellis answer decided it:
 * `NETWORK`, `NOT_TRELLIS`, `TIMEOUT`, and `WEBHOOK_INVALID` from `verifyWebhook` (see
 * `CLIENT_ERROR_CODES`). A call its caller aborted has no code. Still a `TRPCClientError`,
 * so `data` and `shape` are there too.
 */
export class TrellisError extends TRPCClientError<AppRouter> {
  /**
   * What went wrong; undefined when the caller aborted the call (`signal`), or tRPC's links
   * refused to send it (one query too long for any URL).
   */
  readonly code: TrellisErrorCode | undefined;
  /**
   * What the answer said of its rate limit (`RateLimit-*` headers): on every answer of a
   * rate-limited procedure, 429 included; undefined elsewhere.
   */
  readonly rateLimit: RateLimitInfo | undefined;
  /** Seconds to wait before trying again (`Retry-After`), on a 429. */
  readonly retryAfterSeconds: number | undefined;
  readonly #status: number | undefined;

  constructor(error: TRPCClientError<AppRouter>) {
    const { code, message, cause, headers } = diagnose(error);
    super(message, {
      ...(error.shape ? { result: { error: error.shape } } : {}),
      ...(cause !== undefined ? { cause: cause instanceof Error ? cause : undefined } : {}),
      ...(error.meta ? { meta: error.meta } : {}),
    });
    // TRPCClientError pins its own prototype in its constructor; restore the subclass.
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = 'TrellisError';
    this.code = code;
    this.rateLimit = headers ? rateLimitOf(headers) : undefined;
    this.retryAfterSeconds = headers ? retryAfterOf(headers) : undefined;
    this.#status = error.data?.httpStatus ?? httpStatusOf(error);
  }

  /** Invalid input fields and what is wrong with each (only on `BAD_REQUEST`). */
  get fieldErrors(): FieldErrors | undefined {
    return this.data?.fieldErrors;
  }

  /** The HTTP status of the answer; undefined when there was none (NETWORK, client TIMEOUT). */
  get status(): number | undefined {
    return this.#status;
  }
}

/** The status of a non-tRPC answer (a proxy's error page), or undefined. */
export function httpStatusOf(error: TRPCClientError<AppRouter>): number | undefined {
  if (error.cause instanceof HttpError) return error.cause.status;
  const response = error.meta?.response;
  return response instanceof Response ? response.status : undefined;
}

/** True when `error` is a failed Trellis call (the server's refusal or the network's). */
export function isTrellisError(error: unknown): error is TrellisError {
  return error instanceof TrellisError;
}

/**
 * The outermost link: every failure reaches the caller as a `TrellisError`, and each call
 * refused as `UNAUTHORIZED` is reported to `onUnauthorized` once (after any retries).
 */
export function trellisErrorLink(
  onUnauthorized?: (error: TrellisError) => void,
): TRPCLink<AppRouter> {
  return () =>
    ({ op, next }) =>
      observable((observer) =>
        next(op).subscribe({
          next: (value) => observer.next(value),
          complete: () => observer.complete(),
          error: (cause) => {
            const error = cause instanceof TrellisError ? cause : new TrellisError(cause);
            observer.error(error);
            if (error.code === 'UNAUTHORIZED') onUnauthorized?.(error);
          },
        }),
      );
}
