import type { FieldErrors, TrellisErrorData } from '@trellis/api';
import { TRPCClientError, type TRPCLink } from '@trpc/client';
import { observable } from '@trpc/server/observable';
import { HttpError } from './http-error.js';
import type { AppRouter } from './router.js';

/** A contract error code, e.g. `'BAD_REQUEST'` or `'NOT_FOUND'`. */
export type TrellisErrorCode = TrellisErrorData['code'];

/**
 * Why a call failed: the server's answer (`code`, `fieldErrors`, `status`, `message`), or
 * the network's (`code` undefined, the fetch error in `cause`). Still a `TRPCClientError`,
 * so `data` and `shape` are there too.
 */
export class TrellisError extends TRPCClientError<AppRouter> {
  constructor(error: TRPCClientError<AppRouter>) {
    super(error.message, {
      ...(error.shape ? { result: { error: error.shape } } : {}),
      ...(error.cause ? { cause: error.cause } : {}),
      ...(error.meta ? { meta: error.meta } : {}),
    });
    // TRPCClientError pins its own prototype in its constructor; restore the subclass.
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = 'TrellisError';
  }

  /** The contract code; undefined when no Trellis server answered (network, proxy page). */
  get code(): TrellisErrorCode | undefined {
    return this.data?.code;
  }

  /** Invalid input fields and what is wrong with each (only on `BAD_REQUEST`). */
  get fieldErrors(): FieldErrors | undefined {
    return this.data?.fieldErrors;
  }

  /** The HTTP status of the answer; undefined when there was none (network failure). */
  get status(): number | undefined {
    return this.data?.httpStatus ?? httpStatusOf(this);
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
