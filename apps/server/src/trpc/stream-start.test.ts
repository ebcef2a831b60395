import { describe, expect, it } from 'vitest';
import { withStartId } from './stream-start.js';

// The bytes tRPC writes for a stream (connected, then events), cut into chunks anywhere:
// the start id lands on the first event, and nothing else changes.

const CONNECTED = 'event: connected\ndata: {"reconnectAfterInactivityMs":25000}\n\n\n';
const EVENT = 'data: {"id":"eyJhdCI6M30","type":"created"}\nid: eyJhdCI6M30\n\n\n';

/** The body of `withStartId` over `chunks`, as text. */
async function rewritten(chunks: string[], id = 'eyJhdCI6Mn0'): Promise<string> {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
  const response = withStartId(
    new Response(body, { headers: { 'content-type': 'text/event-stream' } }),
    id,
  );
  return response.text();
}

describe('withStartId', () => {
  it('puts the id on the connected event, however the bytes are cut', async () => {
    const expected = `event: connected\ndata: {"reconnectAfterInactivityMs":25000}\nid: eyJhdCI6Mn0\n\n\n${EVENT}`;
    const whole = CONNECTED + EVENT;
    expect(await rewritten([whole])).toBe(expected);
    for (let cut = 1; cut < whole.length; cut += 7) {
      expect(await rewritten([whole.slice(0, cut), whole.slice(cut)])).toBe(expected);
    }
    expect(await rewritten([...whole])).toBe(expected);
  });

  it('leaves a stream that does not open with connected as it is', async () => {
    expect(await rewritten([EVENT, CONNECTED])).toBe(EVENT + CONNECTED);
    expect(await rewritten(['event: conn', 'ected'])).toBe('event: connected');
  });

  it('never writes an id that would break the SSE line', async () => {
    expect(await rewritten([CONNECTED], 'a\nevent: x')).toBe(CONNECTED);
    expect(await rewritten([CONNECTED], '')).toBe(CONNECTED);
  });
});
