import { createClient, type TrellisClient } from '@trellis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveTeam } from './support/live-team.js';
import { startTestServer, type TestServer } from './support/server.js';
import { subscribe, within } from './support/subscription.js';

// @trellis/client holds the calls made while one of its subscriptions is still opening
// (hold-until-open.ts): until the stream is open, it fails or it is unsubscribed, and never
// longer than a few seconds. The client's `fetch` option sees every request it sends, and
// can keep a stream from opening, as a slow network would.

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const isStream = (input: string | URL | Request) => String(input).includes('/trpc/tasks.onChange');
const pathOf = (input: string | URL | Request) =>
  new URL(String(input)).pathname.replace('/trpc/', '');

/**
 * A client of `token` whose requests are logged as they are sent; with `streamsHang`, its
 * event streams never get an answer (until aborted), so its subscriptions never open.
 */
function loggedClient(target: TestServer, token: string, streamsHang = false) {
  const log: string[] = [];
  const waiting = new Map<string, () => void>();
  const client: TrellisClient = createClient({
    url: target.url,
    token,
    fetch: (input, init) => {
      log.push(`sent ${pathOf(input)}`);
      waiting.get(pathOf(input))?.();
      if (!(streamsHang && isStream(input))) return fetch(input, init);
      return new Promise<Response>((_, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      });
    },
  });
  /** Resolves when a request for `path` is sent (now, if one was). */
  const sent = (path: string) =>
    log.includes(`sent ${path}`)
      ? Promise.resolve()
      : new Promise<void>((resolve) => waiting.set(path, resolve));
  return { client, log, sent };
}

/** A subscription whose events nobody reads (its stream never opens here). */
const opening = (client: TrellisClient, workspaceId: string) =>
  client.tasks.onChange.subscribe({ workspaceId }, {});

describe('calls made while a subscription opens', () => {
  it('are sent once its stream is open', async () => {
    const { mate, workspaceId, projectId } = await liveTeam(server);
    const { client, log } = loggedClient(server, mate.token);

    const live = subscribe(client, { workspaceId });
    void live.started.then(() => log.push('started'));
    await Promise.all([
      client.tasks.create.mutate({ projectId, title: 'After subscribe' }),
      client.tasks.list.query({ workspaceId }),
    ]);
    live.unsubscribe();

    const started = log.indexOf('started');
    expect(started).toBeGreaterThan(-1);
    expect(log.slice(0, started)).toEqual(['sent tasks.onChange']);
    expect(log.slice(started + 1).sort()).toEqual(['sent tasks.create', 'sent tasks.list']);
  });

  it('are not held when no subscription is opening', async () => {
    const { mate, workspaceId } = await liveTeam(server);
    const { client, log } = loggedClient(server, mate.token, true);
    const list = await within(client.tasks.list.query({ workspaceId }), 'the list', 2_000);
    expect(list.items).toEqual([]);
    expect(log).toEqual(['sent tasks.list']);
  });

  it('go at once when the opening subscription is unsubscribed', async () => {
    const { mate, workspaceId } = await liveTeam(server);
    const { client, log, sent } = loggedClient(server, mate.token, true);
    const live = opening(client, workspaceId);
    const list = client.tasks.list.query({ workspaceId });
    live.unsubscribe();
    // Well under the longest hold (5 s): the unsubscribe released it.
    await within(sent('tasks.list'), 'the list to be sent', 2_500);
    expect((await list).items).toEqual([]);
    expect(log).toEqual(['sent tasks.onChange', 'sent tasks.list']);
  });

  it('go once the opening subscription fails', async () => {
    const capped = await startTestServer({ maxStreamsPerUser: 1 });
    try {
      const { mate, workspaceId } = await liveTeam(capped);
      const { client, sent } = loggedClient(capped, mate.token);
      const first = subscribe(client, { workspaceId });
      await first.started;
      // Over the cap: refused with 429, which ends the subscription with an error.
      const second = subscribe(client, { workspaceId });
      // It never starts: only its end matters here.
      second.started.catch(() => undefined);
      const list = client.tasks.list.query({ workspaceId });
      await within(sent('tasks.list'), 'the list to be sent', 2_500);
      expect((await list).items).toEqual([]);
      expect(await within(second.ended, 'the refused subscription')).toHaveProperty('error');
      first.unsubscribe();
    } finally {
      await capped.close();
    }
  });

  it('are never sent when aborted while held', async () => {
    const { mate, workspaceId, projectId } = await liveTeam(server);
    const { client, log } = loggedClient(server, mate.token, true);
    const live = opening(client, workspaceId);
    const abort = new AbortController();
    const create = client.tasks.create.mutate(
      { projectId, title: 'Never sent' },
      { signal: abort.signal },
    );
    abort.abort();
    await expect(within(create, 'the create', 2_500)).rejects.toThrow('This operation was aborted');
    live.unsubscribe();

    const list = await client.tasks.list.query({ workspaceId });
    expect(list.items).toEqual([]);
    expect(log).toEqual(['sent tasks.onChange', 'sent tasks.list']);
  });

  it('are sent anyway when the stream cannot open within 5 s', async () => {
    const { mate, workspaceId } = await liveTeam(server);
    const { client, log } = loggedClient(server, mate.token, true);
    const live = opening(client, workspaceId);
    const list = await within(client.tasks.list.query({ workspaceId }), 'the list', 10_000);
    expect(list.items).toEqual([]);
    expect(log).toEqual(['sent tasks.onChange', 'sent tasks.list']);
    live.unsubscribe();
  });
});
