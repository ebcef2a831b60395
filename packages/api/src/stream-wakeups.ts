// When a live stream (tasks.onChange, notifications.onNew) reads its table again: a ring
// on its bus, its poll timer, or its request going away, whichever comes first. The table
// is the truth; a ring only says when to look.

/** Re-read at least this often: catches what nothing announces (a revoked credential) and,
 * on SQLite, other processes' writes. */
export const STREAM_POLL_MS = 1000;

/** A stream's wake-ups: `next()` resolves at the next one; `close()` stops listening. */
export interface StreamWakeups {
  next(): Promise<void>;
  close(): void;
}

/**
 * Wake-ups from `listen` (a bus subscription: it calls `fire` on a ring and answers the
 * unsubscribe), the poll timer and `signal`. A ring that arrives while the stream is busy
 * reading is remembered, so the next wait returns at once.
 */
export function streamWakeups(
  listen: (fire: () => void) => () => void,
  signal: AbortSignal | undefined,
  pollMs = STREAM_POLL_MS,
): StreamWakeups {
  let pending = false;
  let wake: (() => void) | null = null;
  let timer: NodeJS.Timeout | undefined;
  const fire = () => {
    pending = true;
    wake?.();
  };
  const unlisten = listen(fire);
  signal?.addEventListener('abort', fire);
  return {
    async next(): Promise<void> {
      if (!pending) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, pollMs).unref();
        });
        clearTimeout(timer);
        wake = null;
      }
      pending = false;
    },
    close(): void {
      clearTimeout(timer);
      unlisten();
      signal?.removeEventListener('abort', fire);
    },
  };
}
