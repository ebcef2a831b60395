import { type Operation, retryLink, type TRPCClientError, type TRPCLink } from '@trpc/client';
import { httpStatusOf } from './errors.js';
import { NetworkError } from './http-error.js';
import type { AppRouter } from './router.js';

/** A query is sent at most this many times; mutations exactly once. */
export const MAX_QUERY_ATTEMPTS = 3;
const BASE_DELAY_MS = 250;
const MAX_DELAY_MS = 4_000;
/** Answers that mean "the server behind the proxy is down or busy", not "your call is bad". */
const RETRY_STATUSES: ReadonlySet<number> = new Set([502, 503, 504]);

/**
 * Whether a failed call is worth sending again: only queries (reads have no side effect
 * to repeat), only on a network failure or a gateway status, and only a few times.
 */
export function isRetryable(
  op: Pick<Operation, 'type'>,
  error: TRPCClientError<AppRouter>,
  attempts: number,
): boolean {
  if (op.type !== 'query' || attempts >= MAX_QUERY_ATTEMPTS) return false;
  // No answer came (refused, reset, DNS): the client's fetch says so with a NetworkError.
  // An abort (the caller's, or the timeout link's) is never retried.
  if (error.cause instanceof NetworkError) return true;
  const status = error.data?.httpStatus ?? httpStatusOf(error);
  return status !== undefined && RETRY_STATUSES.has(status);
}

/**
 * Exponential backoff with "equal jitter": after attempt n, wait between half and all of
 * 250 ms × 2^(n-1) (capped at 4 s), so clients that failed together do not retry together.
 */
export function backoffDelay(attempts: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (attempts - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * tRPC's retry link with Trellis's rules. It sits above the transport links, where the
 * operation's type is known (a fetch wrapper would only see GET vs POST, and a whole batch
 * at once); aborting the call's signal unsubscribes it, which also cancels a pending retry.
 */
export function trellisRetryLink(): TRPCLink<AppRouter> {
  return retryLink<AppRouter>({
    retry: ({ op, error, attempts }) => isRetryable(op, error, attempts),
    retryDelayMs: (attempts) => backoffDelay(attempts),
  });
}
