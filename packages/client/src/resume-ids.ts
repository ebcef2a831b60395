import { httpSubscriptionLink, type OperationResultEnvelope, type TRPCLink } from '@trpc/client';
import { observable } from '@trpc/server/observable';
import {
  EventSource,
  type EventSourceFetchInit,
  type EventSourceInit,
  type FetchLike,
} from 'eventsource';
import type { AppRouter } from './router.js';

// tRPC's httpSubscriptionLink replaces a stream that has been silent for
// `reconnectAfterInactivityMs` with a new EventSource whose URL names only the last change
// it read. Before the first change there is none, so the new stream would start from its
// own "now" and lose what changed during the stall. The server gives every stream's start
// as the SSE id of its `connected` event, and reads `Last-Event-ID` before the URL's
// `lastEventId`: sending the newest id the subscriber has seen, start or change, closes
// that gap.

/** tRPC's first event on every connection; its SSE id is where the stream starts. */
const CONNECTED = 'connected';
const LAST_EVENT_ID = 'last-event-id';

/** An EventSource that keeps the id of each `connected` event until tRPC has read it. */
class StartIdEventSource extends EventSource {
  /** Ids of `connected` events ('' when one had none), oldest first, not yet read. */
  readonly startIds: string[] = [];

  constructor(url: string | URL, init?: EventSourceInit) {
    super(url, init);
    // tRPC's own listener is added after construction, so this one queues the id before
    // tRPC queues the event it turns into `started`.
    this.addEventListener(CONNECTED, (event) => {
      this.startIds.push(event.lastEventId);
    });
  }
}

/**
 * The id a result gives its subscriber: a change's event id, or for `started` the start
 * of the stream it came on. Ids are recorded as tRPC hands results on, not as the bytes
 * arrive: an event parsed into a stream tRPC is discarding never reached the subscriber,
 * and resuming after it would skip it.
 */
function idOf(envelope: OperationResultEnvelope<unknown, unknown>): string | undefined {
  const { result, context } = envelope;
  if (result.type === 'started') {
    const source = context?.eventSource;
    return source instanceof StartIdEventSource ? source.startIds.shift() : undefined;
  }
  if (result.type === undefined || result.type === 'data') return result.id;
  return undefined;
}

/** `init` with `Last-Event-ID: id`, unless the EventSource already sends its own. */
function withLastEventId(init: EventSourceFetchInit, id: string | undefined): EventSourceFetchInit {
  if (!id) return init;
  const names = Object.keys(init.headers).map((name) => name.toLowerCase());
  if (names.includes(LAST_EVENT_ID)) return init;
  return { ...init, headers: { ...init.headers, 'Last-Event-ID': id } };
}

/**
 * tRPC's httpSubscriptionLink, one per subscription, whose every request carries the
 * newest event id its subscriber has received (`connected`'s start id included) as
 * `Last-Event-ID`, so a stream replaced after a stall resumes where the last one was, also
 * before the first change. An EventSource's own reconnect keeps the id it sends. The id
 * lives only as long as its subscription.
 */
export function resumingSubscriptionLink(options: {
  url: string;
  /** Sends an event stream's request (with the client's credentials). */
  fetch: FetchLike;
}): TRPCLink<AppRouter> {
  return (runtime) =>
    ({ op, next }) =>
      observable((observer) => {
        let newestId: string | undefined;
        const link = httpSubscriptionLink<AppRouter, typeof StartIdEventSource>({
          url: options.url,
          EventSource: StartIdEventSource,
          eventSourceOptions: {
            fetch: (input, init) => options.fetch(input, withLastEventId(init, newestId)),
          },
        })(runtime);
        const subscription = link({ op, next }).subscribe({
          next(envelope) {
            newestId = idOf(envelope) || newestId;
            observer.next(envelope);
          },
          error: (error) => observer.error(error),
          complete: () => observer.complete(),
        });
        return () => subscription.unsubscribe();
      });
}
