import { describe, expect, it } from 'vitest';
import { accountsOn } from './support/accounts.js';
import { headersFor, serveThisFile } from './support/http.js';
import { notifyDirectly } from './support/notifications.js';
import { parseSseEvent, type SseEvent } from './support/sse.js';
import { within } from './support/subscription.js';
import { dataOf, expectFieldErrors } from './support/wire.js';

// notifications.list and notifications.onNew take only optional fields, so a client may
// leave their input out altogether (`GET /trpc/notifications.list`, no `?input=`): it is
// read as `{}`, never refused as "expected object, received undefined".

const wire = serveThisFile();
const { query } = wire;
const { signUp, createWorkspace } = accountsOn(wire);

/** A workspace's owner, and a writer of notifications to them from a colleague. */
async function personWithInbox() {
  const person = await signUp('inbox');
  const colleague = await signUp('colleague');
  const workspace = await createWorkspace(person.token);
  /** Writes the notification about `Task <n>`. */
  const notify = (n = 1) =>
    notifyDirectly(wire.server.db, {
      userId: person.user.id,
      workspaceId: workspace.id,
      actorId: colleague.user.id,
      from: n,
    });
  return { person, notify };
}

/** `GET /trpc/notifications.onNew` with no input, read event by event as the bytes arrive. */
async function openInboxStream(token: string) {
  const controller = new AbortController();
  const path = '/trpc/notifications.onNew';
  const response = await fetch(`${wire.server.url}${path}`, {
    headers: { accept: 'text/event-stream', ...headersFor({ token }) },
    signal: controller.signal,
  });
  wire.record(`GET ${path} (SSE)`, response.status);
  const events: SseEvent[] = [];
  const reader = response.body?.getReader();
  if (!reader) throw new Error('the event stream has no body');
  const decoder = new TextDecoder();
  let buffer = '';
  const readUntil = async (done: () => boolean) => {
    while (!done()) {
      const chunk = await reader.read();
      if (chunk.done) throw new Error('the stream ended');
      buffer = (buffer + decoder.decode(chunk.value, { stream: true })).replace(/\r\n/g, '\n');
      for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
        const event = parseSseEvent(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (event && event.event !== 'ping') events.push(event);
      }
    }
  };
  return {
    status: response.status,
    events,
    /** Reads until some event read so far satisfies `wanted`. */
    waitFor: (wanted: (event: SseEvent) => boolean, what: string) =>
      within(
        readUntil(() => events.some(wanted)),
        what,
        10_000,
      ),
    close: async () => {
      controller.abort();
      await reader.cancel().catch(() => {});
    },
  };
}

describe('input left out', () => {
  it('notifications.list answers the first page, as for {}', async () => {
    const { person, notify } = await personWithInbox();
    await notify();

    const reply = await query('notifications.list', undefined, { token: person.token });

    expect(reply.status, reply.text.slice(0, 300)).toBe(200);
    const page = dataOf<{ items: unknown[]; nextCursor: string | null }>(reply);
    const asEmpty = dataOf(await query('notifications.list', {}, { token: person.token }));
    expect(page).toEqual(asEmpty);
    expect(page.items).toHaveLength(1);
    // Pages only go forward: `direction` is accepted as "forward" and refused otherwise.
    const forward = await query(
      'notifications.list',
      { direction: 'forward' },
      { token: person.token },
    );
    expect(dataOf(forward)).toEqual(asEmpty);
    expectFieldErrors(
      await query('notifications.list', { direction: 'backward' }, { token: person.token }),
      ['direction'],
    );
  });

  it('notifications.onNew streams from now, as for {}', async () => {
    const { person, notify } = await personWithInbox();
    await notify(1);
    const stream = await openInboxStream(person.token);
    try {
      expect(stream.status).toBe(200);
      await stream.waitFor((event) => event.event === 'connected', 'the connected event');
      await notify(2);
      const isNotification = (event: SseEvent) => event.event === 'message';
      await stream.waitFor(isNotification, 'the new notification');
      // From now: Task 1, written before subscribing, is not replayed.
      const delivered = stream.events.filter(isNotification);
      expect(delivered).toHaveLength(1);
      expect(delivered[0]?.data).toContain('Task 2');
    } finally {
      await stream.close();
    }
  });
});
