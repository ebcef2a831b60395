import { STREAM_START_HEADER } from '@trellis/api';
import type { FastifyReply } from 'fastify';

// A subscription that names where its stream starts (tasks.onChange: the log position it
// resolved "now" to) gets that position as the SSE id of the stream's first event, tRPC's
// `connected`. An EventSource keeps the last id it saw and sends it as `Last-Event-ID`
// when it reconnects, so a connection lost before the first change resumes from where the
// stream started instead of from a later "now". No event is added: tRPC's clients read
// only `connected`'s data, and its id is invisible to `onData`. tRPC's own SSE writer
// cannot put an id on `connected`, hence this rewrite of the bytes it wrote.

const encoder = new TextEncoder();
const CONNECTED = encoder.encode('event: connected\n');
const NEWLINE = 10;
/** Give up looking for the end of the first event after this many bytes (it is ~50). */
const MAX_FIRST_EVENT = 4096;
/** What an SSE `id:` line may carry (and every event id does): no CR, LF or NUL. */
const SAFE_ID = /^[\x21-\x7e]+$/;

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  return prefix.every((byte, index) => bytes[index] === byte);
}

/** Where the blank line that ends the first event begins (its first `\n`); -1 if not yet. */
function endOfFirstEvent(bytes: Uint8Array): number {
  for (let index = 0; index + 1 < bytes.length; index += 1) {
    if (bytes[index] === NEWLINE && bytes[index + 1] === NEWLINE) return index;
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** The event stream with `id` on its `connected` event; unchanged if it does not open so. */
export function withStartId(response: Response, id: string): Response {
  if (response.body === null || !SAFE_ID.test(id)) return response;
  const idLine = encoder.encode(`id: ${id}\n`);
  // The bytes of the first event seen so far; null once it has been passed on.
  let head: Uint8Array | null = new Uint8Array(0);
  const body = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        if (head === null) {
          controller.enqueue(chunk);
          return;
        }
        head = concat(head, chunk);
        const end = endOfFirstEvent(head);
        if (end === -1 && head.length < MAX_FIRST_EVENT) return;
        if (end !== -1 && startsWith(head, CONNECTED)) {
          controller.enqueue(
            concat(concat(head.subarray(0, end + 1), idLine), head.subarray(end + 1)),
          );
        } else {
          controller.enqueue(head);
        }
        head = null;
      },
      flush(controller) {
        if (head !== null && head.length > 0) controller.enqueue(head);
      },
    }),
  );
  return new Response(body, { status: response.status, headers: response.headers });
}

/**
 * The adapter's event stream with the start its subscription named (STREAM_START_HEADER)
 * as its first event's id; the header itself is an internal message and is not sent.
 */
export function startingWhereNamed(response: Response, reply: FastifyReply): Response {
  const start = reply.getHeader(STREAM_START_HEADER);
  if (start === undefined) return response;
  reply.removeHeader(STREAM_START_HEADER);
  return typeof start === 'string' ? withStartId(response, start) : response;
}
