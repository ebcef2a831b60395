// Live event ids and activity cursors count each workspace's own entries (1, 2, 3, …), so a
// member reading them learns nothing of how busy other workspaces on the server are: before
// per-workspace numbering they held the global log position, and the gaps between one's own
// ids were everyone else's writes. Spoken to over raw HTTP: server-sent events read off the
// wire, REST and tRPC, while a neighbouring workspace writes in between.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';
import { within } from './support/subscription.js';
import { type AuthResult, dataOf, PASSWORD, parseJson, type Reply } from './support/wire.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
// Closing the server ends any stream still open.
afterAll(() => server.close());

async function send(path: string, init: RequestInit = {}): Promise<Reply> {
  const response = await fetch(`${server.url}${path}`, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: parseJson(text) };
}

function call<T>(token: string, path: string, input: unknown, method: 'GET' | 'POST' = 'POST') {
  const authorization = `Bearer ${token}`;
  const reply =
    method === 'GET'
      ? send(`/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`, {
          headers: { authorization },
        })
      : send(`/trpc/${path}`, {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/json' },
          body: JSON.stringify(input),
        });
  return reply.then((r) => dataOf<T>(r));
}

let people = 0;
/** A new owner with a workspace and a project (its first log entry, `project.created`). */
async function workspace(name: string) {
  people += 1;
  const signUp = await send('/trpc/auth.signUp', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `ids-${people}@example.com`, password: PASSWORD, name }),
  });
  const token = dataOf<AuthResult>(signUp).session.token;
  const { id: workspaceId } = await call<{ id: string }>(token, 'workspaces.create', {
    name,
    slug: `ids-${people}`,
  });
  const { id: projectId } = await call<{ id: string }>(token, 'projects.create', {
    workspaceId,
    name: 'Core',
    key: 'CORE',
  });
  let tasks = 0;
  return {
    token,
    workspaceId,
    /** Creates tasks one after another; returns their titles. */
    async write(count: number): Promise<string[]> {
      const titles: string[] = [];
      for (let i = 0; i < count; i += 1) {
        tasks += 1;
        const title = `${name} ${tasks}`;
        await call(token, 'tasks.create', { projectId, title });
        titles.push(title);
      }
      return titles;
    },
  };
}

/** What an opaque cursor or event id holds (base64url JSON). */
function decode(opaque: string): unknown {
  return JSON.parse(Buffer.from(opaque, 'base64url').toString('utf8'));
}
const opaque = (position: unknown) => Buffer.from(JSON.stringify(position)).toString('base64url');

interface SseEvent {
  event: string;
  id?: string;
  data: string;
}

/** tasks.onChange as a browser's EventSource would open it, read event by event. */
async function openStream(token: string, workspaceId: string, lastEventId?: string) {
  const abort = new AbortController();
  const input = encodeURIComponent(JSON.stringify({ workspaceId }));
  const response = await fetch(`${server.url}/trpc/tasks.onChange?input=${input}`, {
    headers: {
      authorization: `Bearer ${token}`,
      accept: 'text/event-stream',
      ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }),
    },
    signal: abort.signal,
  });
  expect(response.status).toBe(200);
  if (!response.body) throw new Error('no stream');
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  async function nextEvent(): Promise<SseEvent> {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event: SseEvent = { event: 'message', data: '' };
        for (const line of block.split('\n')) {
          const colon = line.indexOf(':');
          const [field, value] = [line.slice(0, colon), line.slice(colon + 1).trimStart()];
          if (field === 'event') event.event = value;
          else if (field === 'id') event.id = value;
          else if (field === 'data') event.data += value;
        }
        // Comments (`: ping`) and bare retry hints carry no event.
        if (event.data !== '' || event.id !== undefined) return event;
        continue;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error('the stream ended');
      buffer += value;
    }
  }
  expect((await within(nextEvent(), 'the connected event')).event).toBe('connected');
  return {
    /** The next task change: its SSE id and the title of the task it tells about. */
    async next(): Promise<{ id: string; title: string }> {
      const event = await within(nextEvent(), 'the next event');
      if (event.event !== 'message' || event.id === undefined) {
        throw new Error(`not a task change: ${JSON.stringify(event)}`);
      }
      const data = JSON.parse(event.data) as { id: string; task: { title: string } };
      expect(data.id).toBe(event.id);
      return { id: event.id, title: data.task.title };
    },
    /** The next event whatever it is (an error arrives as `serialized-error`). */
    raw: () => within(nextEvent(), 'an event'),
    close: () => abort.abort(),
  };
}

describe('live event ids', () => {
  it("number each workspace's changes from its own start, whatever other workspaces do", async () => {
    const ours = await workspace('Ours');
    const theirs = await workspace('Theirs');
    // A busy neighbour, before and in between.
    await theirs.write(20);
    const ourStream = await openStream(ours.token, ours.workspaceId);
    const theirStream = await openStream(theirs.token, theirs.workspaceId);
    for (let round = 0; round < 4; round += 1) {
      await ours.write(1);
      await theirs.write(3);
    }

    const ourIds = [];
    for (let i = 0; i < 4; i += 1) ourIds.push(decode((await ourStream.next()).id));
    const theirIds = [];
    for (let i = 0; i < 12; i += 1) theirIds.push(decode((await theirStream.next()).id));
    ourStream.close();
    theirStream.close();

    // Entry 1 of each workspace is its project.created; tasks follow from 2.
    expect(ourIds).toEqual([{ at: 2 }, { at: 3 }, { at: 4 }, { at: 5 }]);
    expect(theirIds).toEqual(Array.from({ length: 12 }, (_, i) => ({ at: 22 + i })));
  });

  it('resume after Last-Event-ID with nothing missed, while another workspace writes', async () => {
    const ours = await workspace('Ours');
    const theirs = await workspace('Theirs');
    const first = await openStream(ours.token, ours.workspaceId);
    await ours.write(1);
    const seen = await first.next();
    first.close();

    const missed = [];
    for (let round = 0; round < 3; round += 1) {
      await theirs.write(2);
      missed.push(...(await ours.write(1)));
    }
    const resumed = await openStream(ours.token, ours.workspaceId, seen.id);
    const replayed = [await resumed.next(), await resumed.next(), await resumed.next()];
    const [later] = await ours.write(1);
    const live = await resumed.next();
    resumed.close();

    expect(replayed.map((event) => event.title)).toEqual(missed);
    expect(replayed.map((event) => decode(event.id))).toEqual([{ at: 3 }, { at: 4 }, { at: 5 }]);
    expect(live.title).toBe(later);
  });

  it('refuse an id past the workspace’s newest entry (another workspace’s, say)', async () => {
    const ours = await workspace('Ours');
    const theirs = await workspace('Theirs');
    await theirs.write(5);
    const stream = await fetch(
      `${server.url}/trpc/tasks.onChange?input=${encodeURIComponent(JSON.stringify({ workspaceId: ours.workspaceId }))}`,
      {
        headers: {
          authorization: `Bearer ${ours.token}`,
          accept: 'text/event-stream',
          'last-event-id': opaque({ at: 6 }),
        },
      },
    );
    const text = await within(stream.text(), 'the error event');
    expect(text).toContain('serialized-error');
    expect(text).toContain('BAD_REQUEST');
    expect(text).toContain('lastEventId');
  });
});

describe('activity cursors', () => {
  it('hold only the workspace’s own numbering, on tRPC and REST', async () => {
    const ours = await workspace('Ours');
    const theirs = await workspace('Theirs');
    for (let round = 0; round < 5; round += 1) {
      await theirs.write(4);
      await ours.write(1);
    }
    // Ours: project.created and 5 task.created, 6 entries; theirs wrote 20 meanwhile.
    const pages: { items: { id: string }[]; nextCursor: string | null }[] = [];
    let cursor: string | undefined;
    do {
      const page = await call<(typeof pages)[number]>(
        ours.token,
        'activity.list',
        { workspaceId: ours.workspaceId, limit: 2, ...(cursor ? { cursor } : {}) },
        'GET',
      );
      pages.push(page);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);

    expect(pages.map((page) => page.items.length)).toEqual([2, 2, 2]);
    expect(pages.map((page) => page.nextCursor && decode(page.nextCursor))).toEqual([
      { at: 5 },
      { at: 3 },
      null,
    ]);
    const rest = await send(`/api/v1/workspaces/${ours.workspaceId}/activity?limit=3`, {
      headers: { authorization: `Bearer ${ours.token}` },
    });
    expect(rest.status).toBe(200);
    const { nextCursor } = rest.json as { nextCursor: string };
    expect(decode(nextCursor)).toEqual({ at: 4 });
  });
});

// Ids and cursors issued before per-workspace numbering (migration 0008) held the entry's
// global `seq`: a client that kept one across the upgrade still resumes from it. Here the
// upgrade is where `legacy_event_ids` says it was, as the migration leaves it: the entries
// written so far are "before", the rest "after".
describe('ids and cursors from before per-workspace numbering', () => {
  async function globalSeqs(workspaceId: string): Promise<number[]> {
    const rows = await server.db
      .selectFrom('activity')
      .select('seq')
      .where('workspace_id', '=', workspaceId)
      .orderBy('seq')
      .execute();
    return rows.map((row) => row.seq);
  }
  async function upgradeNow(): Promise<number> {
    const { last } = await server.db
      .selectFrom('activity')
      .select((eb) => eb.fn.max('seq').as('last'))
      .executeTakeFirstOrThrow();
    await server.db.updateTable('legacy_event_ids').set({ last_seq: last }).execute();
    return last;
  }

  it('resume from an old event id, and refuse one past the upgrade', async () => {
    const ours = await workspace('Ours');
    const theirs = await workspace('Theirs');
    const before = [];
    for (let round = 0; round < 3; round += 1) {
      await theirs.write(2);
      before.push(...(await ours.write(1)));
    }
    // The client saw the second task's event, when ids were global seqs.
    const oldId = opaque({ seq: (await globalSeqs(ours.workspaceId))[2] });
    const lastBefore = await upgradeNow();
    await theirs.write(2);
    const after = await ours.write(2);

    const resumed = await openStream(ours.token, ours.workspaceId, oldId);
    const replayed = [await resumed.next(), await resumed.next(), await resumed.next()];
    resumed.close();
    expect(replayed.map((event) => event.title)).toEqual([before[2], ...after]);
    // New ids from here on.
    expect(replayed.map((event) => decode(event.id))).toEqual([{ at: 4 }, { at: 5 }, { at: 6 }]);

    // A seq past the upgrade was never issued as an id: naming one would tell the global
    // position of later entries.
    const refused = await openStream(ours.token, ours.workspaceId, opaque({ seq: lastBefore + 1 }));
    const error = await refused.raw();
    refused.close();
    expect(error.event).toBe('serialized-error');
    expect(error.data).toContain('BAD_REQUEST');
  });

  it('page on from an old activity cursor', async () => {
    const ours = await workspace('Ours');
    const theirs = await workspace('Theirs');
    for (let round = 0; round < 4; round += 1) {
      await theirs.write(3);
      await ours.write(1);
    }
    const seqs = await globalSeqs(ours.workspaceId);
    await upgradeNow();
    await ours.write(1);
    // An old page of two ended at the fourth entry (task 3): the next starts below it.
    const page = await call<{ items: { data: { task?: { title: string } } }[] }>(
      ours.token,
      'activity.list',
      { workspaceId: ours.workspaceId, cursor: opaque({ seq: seqs[3] }), limit: 10 },
      'GET',
    );
    expect(page.items.map((item) => item.data.task?.title ?? 'project')).toEqual([
      'Ours 2',
      'Ours 1',
      'project',
    ]);
  });
});
