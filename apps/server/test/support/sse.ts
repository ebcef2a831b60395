// tasks.onChange read off the wire: `GET /trpc/tasks.onChange` with
// `Accept: text/event-stream`, parsed event by event as the bytes arrive.
import { afterEach, expect } from 'vitest';
import { type CallOptions, headersFor, inputQuery, type Wire } from './http.js';
import { within } from './subscription.js';
import type { TaskChange } from './wire.js';

/** One event of a text/event-stream body. */
export interface SseEvent {
  /** The `event:` field; `message` when the event has none. */
  event: string;
  /** The `id:` field, when the event has one. */
  id: string | undefined;
  data: string;
}

/** A subscription read over raw HTTP. */
export interface EventStream {
  status: number;
  contentType: string | null;
  headers: Headers;
  /** The next event other than pings; fails the test after `ms`. */
  next(what: string, ms?: number): Promise<SseEvent>;
  /** Resolves when the server has ended the stream; fails the test after `ms`. */
  ended(ms?: number): Promise<void>;
  /** Aborts the request and waits for the reader to stop. */
  close(): Promise<void>;
}

/** Options of one subscribe: credentials and the `Last-Event-ID` header. */
export type StreamOptions = CallOptions & { lastEventId?: string };

export function parseSseEvent(block: string): SseEvent | null {
  let event = 'message';
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const raw = colon === -1 ? '' : line.slice(colon + 1);
    const value = raw.startsWith(' ') ? raw.slice(1) : raw;
    if (field === 'event') event = value;
    else if (field === 'id') id = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0 && id === undefined) return null;
  return { event, id, data: data.join('\n') };
}

/** The next event, which must be a task change; its SSE id must be the change's id. */
export async function nextChange(stream: EventStream, what: string): Promise<TaskChange> {
  const event = await stream.next(what);
  expect(event.event, event.data).toBe('message');
  const change = JSON.parse(event.data) as TaskChange;
  expect(event.id).toEqual(expect.any(String));
  expect(event.id).not.toBe('');
  expect(change.id).toBe(event.id);
  return change;
}

/** A change as `[type, task id, task version]`, for comparing sequences of them. */
export const summary = (change: TaskChange) => [change.type, change.task.id, change.task.version];

/**
 * The tasks.onChange streams of one file's server. Streams a test leaves open are closed
 * after it, so that a failed assertion leaves none behind.
 */
export function taskStreamsOn(wire: Wire) {
  const openStreams = new Set<EventStream>();
  afterEach(async () => {
    await Promise.all([...openStreams].map((stream) => stream.close()));
  });

  /** Opens the stream and reads it as it arrives; asserts nothing about the answer. */
  async function openTaskChanges(
    input: unknown,
    options: StreamOptions = {},
  ): Promise<EventStream> {
    const controller = new AbortController();
    const path = `/trpc/tasks.onChange${inputQuery(input)}`;
    const headers: Record<string, string> = { accept: 'text/event-stream', ...headersFor(options) };
    if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
    const response = await within(
      fetch(`${wire.server.url}${path}`, { headers, signal: controller.signal }),
      'the event stream to answer',
    );
    wire.record(`GET ${path} (SSE)`, response.status);
    const body = response.body;
    if (!body) throw new Error('the event stream has no body');
    const reader = body.getReader();
    const decoder = new TextDecoder();
    const queue: SseEvent[] = [];
    let finished = false;
    let failure: unknown;
    // Set while `next` waits; a holder, not a `let`, since two closures share it.
    const waiter: { wake: (() => void) | null } = { wake: null };

    const pump = (async () => {
      let buffer = '';
      try {
        for (;;) {
          const chunk = await reader.read();
          if (chunk.done) break;
          buffer = (buffer + decoder.decode(chunk.value, { stream: true })).replace(/\r\n/g, '\n');
          let end = buffer.indexOf('\n\n');
          while (end !== -1) {
            const event = parseSseEvent(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
            if (event) queue.push(event);
            end = buffer.indexOf('\n\n');
          }
          waiter.wake?.();
        }
      } catch (error) {
        if (!controller.signal.aborted) failure = error;
      } finally {
        finished = true;
        waiter.wake?.();
      }
    })();

    const stream: EventStream = {
      status: response.status,
      contentType: response.headers.get('content-type'),
      headers: response.headers,
      next(what, ms = 5000) {
        const take = async (): Promise<SseEvent> => {
          for (;;) {
            const event = queue.shift();
            if (event) {
              if (event.event !== 'ping') return event;
              continue;
            }
            if (finished)
              throw new Error(`${what}: the stream ended (${String(failure ?? 'done')})`);
            await new Promise<void>((resolve) => {
              waiter.wake = resolve;
            });
            waiter.wake = null;
          }
        };
        return within(take(), what, ms);
      },
      ended(ms = 5000) {
        return within(pump, 'the end of the stream', ms);
      },
      async close() {
        openStreams.delete(stream);
        controller.abort();
        await reader.cancel().catch(() => {});
        await pump;
      },
    };
    openStreams.add(stream);
    return stream;
  }

  /** Opens a stream and waits for tRPC's `connected` event: from then on nothing is missed. */
  async function subscribeTaskChanges(
    input: unknown,
    options: StreamOptions = {},
  ): Promise<EventStream> {
    const stream = await openTaskChanges(input, options);
    expect(stream.status).toBe(200);
    expect(stream.contentType).toMatch(/^text\/event-stream/);
    expect((await stream.next('the connected event')).event).toBe('connected');
    return stream;
  }

  return { openTaskChanges, subscribeTaskChanges };
}
