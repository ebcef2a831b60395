import { TRPCClientError, type TRPCLink } from '@trpc/client';
import { observable, type Unsubscribable } from '@trpc/server/observable';
import type { AppRouter } from './router.js';

/**
 * Longest a call waits for this client's opening subscriptions before it is sent anyway
 * (a stream that cannot open, e.g. while the server is down, must not stall every call).
 */
export const OPEN_WAIT_MS = 5_000;

/**
 * Holds queries and mutations made while a subscription of this client is still opening,
 * until its stream is open (tRPC's `started`: the server has fixed where the stream starts)
 * or it failed or was unsubscribed, for at most {@link OPEN_WAIT_MS}. `subscribe()` returns
 * before its request has even left, so without this a `create` made right after it could
 * commit before the stream starts, and its event would never arrive; with it, a change
 * made (or a list read) after `subscribe()` returned is always after the stream's start.
 * Calls made while no subscription is opening pass straight through; calls made before
 * `subscribe()` are not held; a held call that is aborted is never sent.
 */
export function holdUntilOpenLink(): TRPCLink<AppRouter> {
  return () => {
    // This client's subscriptions still opening; each promise settles when its stream
    // opens, fails or is unsubscribed.
    const opening = new Set<Promise<void>>();

    return ({ op, next }) => {
      if (op.type === 'subscription') {
        return observable((observer) => {
          let settle: () => void = () => {};
          const opened = new Promise<void>((resolve) => {
            settle = resolve;
          });
          opening.add(opened);
          const release = () => {
            if (opening.delete(opened)) settle();
          };
          const subscription = next(op).subscribe({
            next(envelope) {
              if (envelope.result.type === 'started') release();
              observer.next(envelope);
            },
            error(error) {
              release();
              observer.error(error);
            },
            complete() {
              release();
              observer.complete();
            },
          });
          return () => {
            release();
            subscription.unsubscribe();
          };
        });
      }
      if (opening.size === 0) return next(op);

      const ready = Promise.all(opening);
      return observable((observer) => {
        const { signal } = op;
        let sent: Unsubscribable | undefined;
        let settled = false;
        const stop = () => {
          settled = true;
          clearTimeout(timer);
          signal?.removeEventListener('abort', abort);
        };
        const send = () => {
          if (settled) return;
          stop();
          sent = next(op).subscribe(observer);
        };
        // Unsent, so no transport link sees the abort: fail as fetch would have.
        const abort = () => {
          if (settled) return;
          stop();
          observer.error(TRPCClientError.from(abortReason(signal)));
        };
        const timer = setTimeout(send, OPEN_WAIT_MS);
        if (signal?.aborted) abort();
        else signal?.addEventListener('abort', abort, { once: true });
        void ready.then(send);
        return () => {
          stop();
          sent?.unsubscribe();
        };
      });
    };
  };
}

function abortReason(signal: AbortSignal | null | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error
    ? reason
    : new DOMException('This operation was aborted', 'AbortError');
}
