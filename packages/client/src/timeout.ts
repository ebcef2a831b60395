import { TRPCClientError, type TRPCLink } from '@trpc/client';
import { observable } from '@trpc/server/observable';
import type { AppRouter } from './router.js';

/** How long a query or mutation may take, retries included, unless `timeoutMs` says. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/** setTimeout's longest delay; a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A call that took longer than `timeoutMs`. Only between the timeout link and the error
 * link, which reports it as `TIMEOUT`.
 */
export class CallTimeout extends Error {
  readonly timeoutMs: number;

  constructor(url: string, path: string, type: string, timeoutMs: number) {
    const effect = type === 'mutation' ? '; the server may still have done it' : '';
    super(
      `No answer from Trellis at ${url} to ${path} within ${timeoutMs} ms (the client's timeoutMs); the call was abandoned${effect}`,
    );
    this.name = 'TimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/** The `timeoutMs` option checked: 0 or Infinity turn the deadline off. */
export function checkedTimeout(timeoutMs: number | undefined): number | undefined {
  const ms = timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (Number.isNaN(ms) || ms < 0) {
    throw new TypeError(`timeoutMs must be 0 (none) or more milliseconds, not ${ms}`);
  }
  if (ms === 0 || ms === Number.POSITIVE_INFINITY) return undefined;
  return Math.min(ms, MAX_TIMER_MS);
}

/**
 * Gives each query and mutation `timeoutMs` for the whole call, retries and their waits
 * included: then it is abandoned (its request aborted) and fails with a `CallTimeout`.
 * Subscriptions are long-lived streams and have no deadline. The caller's own `signal`
 * still aborts the call, as an abort, not a timeout. Sits above the retry link, so that a
 * pending retry is cancelled too.
 */
export function trellisTimeoutLink(
  timeoutMs: number | undefined,
  url: string,
): TRPCLink<AppRouter> {
  return () =>
    ({ op, next }) => {
      if (timeoutMs === undefined || op.type === 'subscription') return next(op);
      return observable((observer) => {
        const deadline = new AbortController();
        const abortWithCaller = () => deadline.abort(op.signal?.reason);
        if (op.signal?.aborted) abortWithCaller();
        else op.signal?.addEventListener('abort', abortWithCaller, { once: true });
        const timer = setTimeout(() => {
          const cause = new CallTimeout(url, op.path, op.type, timeoutMs);
          observer.error(TRPCClientError.from<AppRouter>(cause));
          // The observer is done: the downstream's own abort error goes nowhere.
          deadline.abort(cause);
        }, timeoutMs);
        const subscription = next({ ...op, signal: deadline.signal }).subscribe(observer);
        return () => {
          clearTimeout(timer);
          op.signal?.removeEventListener('abort', abortWithCaller);
          subscription.unsubscribe();
        };
      });
    };
}
