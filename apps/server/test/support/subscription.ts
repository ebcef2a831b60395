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

/** A subscription whose events are read one at a time, in order. */
export function subscribe(
  client: TrellisClient,
  input: { workspaceId: string; lastEventId?: string },
) {
  const received: TaskChange[] = [];
  let waiting: (() => void) | null = null;
  let resolveStarted: () => void = () => {};
  let resolveEnded: (how: { completed: true } | { error: unknown }) => void = () => {};
  const started = new Promise<void>((resolve) => {
    resolveStarted = resolve;
  });
  const ended = new Promise<{ completed: true } | { error: unknown }>((resolve) => {
    resolveEnded = resolve;
  });
  const subscription = client.tasks.onChange.subscribe(input, {
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
    started: within(started, 'connected'),
    /** How the subscription ended, when it does. */
    ended,
    /** The next event (waits for it). */
    async next(): Promise<TaskChange> {
      while (received.length === 0) {
        await within(
          new Promise<void>((resolve) => {
            waiting = resolve;
          }),
          'the next event',
          10_000,
        );
      }
      const event = received.shift();
      if (!event) throw new Error('unreachable');
      return event;
    },
    /** How many events arrived that `next()` has not returned yet. */
    pending: () => received.length,
    unsubscribe: () => subscription.unsubscribe(),
  };
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
