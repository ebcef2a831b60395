/** How long clients wait before reconnecting after a shutdown ended their stream, in ms. */
export const RECONNECT_AFTER_MS = 1000;

const encoder = new TextEncoder();
/** An SSE `retry:` field, then the blank line that ends the message carrying it. */
const RETRY_HINT = encoder.encode(`retry: ${RECONNECT_AFTER_MS}\n\n`);
const NEWLINE = 10;

/**
 * The open server-sent event streams (subscriptions). They stay open until the client
 * leaves, and an HTTP server's close waits for every open response: on shutdown each one
 * gets a retry hint and ends, so that its client reconnects (to another process, behind a
 * load balancer) with the last event id it received, losing nothing.
 */
export class LiveStreams {
  private readonly open = new Set<() => void>();

  /** How many streams are open. */
  get size(): number {
    return this.open.size;
  }

  /**
   * The same response with its body passed through a stream that {@link endAll} can end
   * between two events (tRPC writes one event as several chunks: ending mid-event would
   * deliver it without its id). `onEnd` is called once when the stream ends, however it
   * ends: the subscription finished, the client left, or the server ended it.
   */
  track(response: Response, onEnd: () => void = () => undefined): Response {
    if (response.body === null) {
      onEnd();
      return response;
    }
    const reader = response.body.getReader();
    // The last two bytes sent; an event ends with a blank line, and nothing sent yet is
    // a boundary too.
    let last = NEWLINE;
    let beforeLast = NEWLINE;
    let ending = false;
    let done = false;
    let controller: ReadableStreamDefaultController<Uint8Array> | undefined;

    const atBoundary = () => last === NEWLINE && beforeLast === NEWLINE;
    const closed = () => {
      done = true;
      this.open.delete(end);
      onEnd();
    };
    const finish = () => {
      if (done) return;
      closed();
      controller?.enqueue(RETRY_HINT);
      controller?.close();
      reader.cancel().catch(() => undefined);
    };
    const end = () => {
      ending = true;
      if (atBoundary()) finish();
    };

    const body = new ReadableStream<Uint8Array>({
      start: (c) => {
        controller = c;
      },
      pull: async (c) => {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (error) {
          if (!done) closed();
          c.error(error);
          return;
        }
        if (done) return;
        if (chunk.done) {
          closed();
          c.close();
          return;
        }
        const bytes = chunk.value;
        c.enqueue(bytes);
        if (bytes.length >= 2) {
          beforeLast = bytes[bytes.length - 2] as number;
          last = bytes[bytes.length - 1] as number;
        } else if (bytes.length === 1) {
          beforeLast = last;
          last = bytes[0] as number;
        }
        if (ending && atBoundary()) finish();
      },
      cancel: (reason) => {
        if (!done) closed();
        return reader.cancel(reason);
      },
    });
    this.open.add(end);
    return new Response(body, { status: response.status, headers: response.headers });
  }

  /** Ends every open stream with the retry hint (at its next event boundary). */
  endAll(): void {
    for (const end of [...this.open]) end();
  }
}
