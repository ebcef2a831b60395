import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TaskChange, TrellisClient } from '@trellis/client';
import type { TestServer } from './server.js';

// tasks.onChange as a test reads it: through @trellis/client, one event at a time.

/** Rejects unless `promise` settles within `ms`: a liveness bound, not a speed test. */
export function within<T>(promise: Promise<T>, what: string, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The handlers a tRPC client's `subscribe` takes. */
export interface SubscriptionHandlers<Event> {
  onStarted(): void;
  onData(event: Event): void;
  onError(error: unknown): void;
  onComplete(): void;
}

/** How long a test waits for a stream to connect and for each event (liveness bounds). */
export interface SubscriptionWaits {
  startMs?: number;
  nextMs?: number;
  /** What `next()` says it was waiting for when nothing came. */
  what?: string;
}

/**
 * A subscription whose events are read one at a time, in order: `start` subscribes with
 * the handlers given (e.g. `(h) => client.tasks.onChange.subscribe(input, h)`).
 */
export function subscribeTo<Event>(
  start: (handlers: SubscriptionHandlers<Event>) => { unsubscribe(): void },
  waits: SubscriptionWaits = {},
) {
  const { startMs = 5000, nextMs = 10_000, what = 'the next event' } = waits;
  const received: Event[] = [];
  let waiting: (() => void) | null = null;
  let resolveStarted: () => void = () => {};
  let resolveEnded: (how: { completed: true } | { error: unknown }) => void = () => {};
  const started = new Promise<void>((resolve) => {
    resolveStarted = resolve;
  });
  const ended = new Promise<{ completed: true } | { error: unknown }>((resolve) => {
    resolveEnded = resolve;
  });
  const subscription = start({
    onStarted: () => resolveStarted(),
    onData: (event) => {
      received.push(event);
      waiting?.();
    },
    onError: (error) => resolveEnded({ error }),
    onComplete: () => resolveEnded({ completed: true }),
  });
  return {
    /** Resolves once the server is listening: changes made after it are delivered. */
    started: within(started, 'connected', startMs),
    /** How the subscription ended, when it does. */
    ended,
    /** The next event (waits for it). */
    async next(): Promise<Event> {
      while (received.length === 0) {
        await within(
          new Promise<void>((resolve) => {
            waiting = resolve;
          }),
          what,
          nextMs,
        );
      }
      const event = received.shift();
      if (event === undefined) throw new Error('unreachable');
      return event;
    },
    /** How many events arrived that `next()` has not returned yet. */
    pending: () => received.length,
    unsubscribe: () => subscription.unsubscribe(),
  };
}

/** tasks.onChange, read one event at a time, in order. */
export function subscribe(
  client: TrellisClient,
  input: { workspaceId: string; lastEventId?: string },
) {
  return subscribeTo<TaskChange>((handlers) => client.tasks.onChange.subscribe(input, handlers));
}

/**
 * The event streams `server` answers from now on, to cut their connections as a proxy or
 * a flaky network might. `stop()` stops collecting.
 */
export function eventStreamsOf(server: TestServer) {
  const streams: ServerResponse[] = [];
  const onRequest = (request: IncomingMessage, response: ServerResponse) => {
    if (request.headers.accept === 'text/event-stream') streams.push(response);
  };
  server.app.server.on('request', onRequest);
  return {
    streams,
    stop: () => {
      server.app.server.off('request', onRequest);
    },
  };
}
