import { createClient, isTrellisError, type TrellisClient } from '@trellis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { startTestServer, type TestServer } from './support/server.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';

// Webhooks end to end: the real server (its delivery worker and sender), a real receiver on
// 127.0.0.1 that verifies every request with the `standardwebhooks` library, and the real
// @trellis/client making the changes.

const defaults = loadConfig({}).webhooks;
let server: TestServer;
let receiver: WebhookReceiver;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  server = await startTestServer({
    webhooks: {
      ...defaults,
      allowPrivate: true,
      retrySchedule: [100, 200, 400],
      retryWindowMs: 60_000,
    },
  });
});
afterAll(async () => {
  await server.close();
  await receiver.close();
});

let seq = 0;
async function workspaceWithProject(): Promise<{
  client: TrellisClient;
  workspaceId: string;
  projectId: string;
}> {
  seq += 1;
  const anonymous = createClient({ url: server.url });
  const { session } = await anonymous.auth.signUp.mutate({
    email: `hooks-${seq}-${process.pid}@example.com`,
    password: 'correct horse battery staple',
    name: 'Hook Owner',
  });
  const client = createClient({ url: server.url, token: session.token });
  const workspace = await client.workspaces.create.mutate({ name: 'Hooks', slug: `hooks-${seq}` });
  const project = await client.projects.create.mutate({
    workspaceId: workspace.id,
    name: 'Hooks',
    key: 'HK',
  });
  return { client, workspaceId: workspace.id, projectId: project.id };
}

/** A webhook to the receiver; its secret is given to the receiver to verify with. */
async function hook(client: TrellisClient, workspaceId: string, url = receiver.url) {
  const created = await client.webhooks.create.mutate({ workspaceId, url });
  receiver.secrets.push(created.secret);
  return created;
}

const ofWorkspace = (workspaceId: string) =>
  receiver.received.filter((r) => r.event?.workspaceId === workspaceId);

describe('webhooks against a real receiver', () => {
  it('delivers each change as a signed event whose data is the API answer', async () => {
    const { client, workspaceId, projectId } = await workspaceWithProject();
    const { secret } = await hook(client, workspaceId);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const task = await client.tasks.create.mutate({ projectId, title: 'Ship webhooks' });
    const updated = await client.tasks.update.mutate({
      taskId: task.id,
      expectedVersion: 1,
      patch: { status: 'done' },
    });
    await receiver.until(() => ofWorkspace(workspaceId).length >= 2);
    const [created, changed] = ofWorkspace(workspaceId);
    expect(created?.event).toMatchObject({ type: 'task.created', workspaceId, data: task });
    expect(changed?.event).toMatchObject({
      type: 'task.updated',
      data: updated,
      changes: { status: { from: 'todo', to: 'done' } },
    });
    // The id header is the event id, and the same as events.list shows.
    const listed = await client.events.list.query({
      workspaceId,
      types: ['task.created', 'task.updated'],
    });
    expect(listed.items.map((e) => e.id)).toEqual([created?.id, changed?.id]);
    expect(listed.items[1]).toEqual(changed?.event);
    expect(created?.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
  });

  it('retries a failing receiver and delivers every event, in order', async () => {
    const { client, workspaceId, projectId } = await workspaceWithProject();
    await hook(client, workspaceId);
    // The first two tries of every event fail.
    const before = receiver.respond;
    receiver.respond = ({ triesBefore }) => (triesBefore < 2 ? 503 : 204);
    try {
      const titles = ['one', 'two', 'three', 'four'];
      for (const title of titles) await client.tasks.create.mutate({ projectId, title });
      await receiver.until(
        () => ofWorkspace(workspaceId).filter((r) => r.status === 204).length >= titles.length,
      );
      const requests = ofWorkspace(workspaceId);
      // Each event was tried three times before the next was sent: order held.
      const types = requests.map(
        (r) => `${(r.event?.data as { title?: string } | undefined)?.title}:${r.status}`,
      );
      expect(types).toEqual(titles.flatMap((t) => [`${t}:503`, `${t}:503`, `${t}:204`]));
      // Retries carry the same webhook-id.
      expect(new Set(requests.map((r) => r.id)).size).toBe(titles.length);
      const [webhook] = await client.webhooks.list.query({ workspaceId });
      expect(webhook).toMatchObject({ enabled: true, failedAttempts: 0, failingSince: null });
      const { items } = await client.webhooks.deliveries.query({ webhookId: webhook?.id ?? '' });
      expect(items).toHaveLength(12);
      expect(items[0]).toMatchObject({ outcome: 'delivered', statusCode: 204, attempt: 3 });
      expect(items[1]).toMatchObject({
        outcome: 'failed',
        statusCode: 503,
        attempt: 2,
        error: 'HTTP 503',
      });
    } finally {
      receiver.respond = before;
    }
  });

  it('replays exactly the events from an old one on', async () => {
    const { client, workspaceId, projectId } = await workspaceWithProject();
    const { id: webhookId } = await hook(client, workspaceId);
    for (const title of ['a', 'b', 'c', 'd'])
      await client.tasks.create.mutate({ projectId, title });
    await receiver.until(() => ofWorkspace(workspaceId).length >= 4);
    const ids = ofWorkspace(workspaceId).map((r) => r.id);
    const count = receiver.received.length;
    const { queued } = await client.webhooks.replay.mutate({
      webhookId,
      fromEventId: ids[1] ?? '',
    });
    expect(queued).toBe(3);
    await receiver.until(
      (all) => all.slice(count).filter((r) => r.event?.workspaceId === workspaceId).length >= 3,
    );
    const replayed = receiver.received
      .slice(count)
      .filter((r) => r.event?.workspaceId === workspaceId);
    expect(replayed.map((r) => r.id)).toEqual(ids.slice(1));
  });

  it('sends a signed ping on webhooks.test and redelivers it with the same id', async () => {
    const { client, workspaceId } = await workspaceWithProject();
    const { id: webhookId } = await hook(client, workspaceId);
    const delivery = await client.webhooks.test.mutate({ webhookId });
    expect(delivery).toMatchObject({
      outcome: 'delivered',
      statusCode: 204,
      eventType: 'webhook.ping',
    });
    const ping = receiver.received.find((r) => r.id === delivery.eventId);
    expect(ping?.event).toMatchObject({ type: 'webhook.ping', data: { webhookId } });
    const again = await client.webhooks.redeliver.mutate({ deliveryId: delivery.id });
    expect(again).toMatchObject({ eventId: delivery.eventId, attempt: 2, trigger: 'redelivery' });
    expect(receiver.received.filter((r) => r.id === delivery.eventId)).toHaveLength(2);
  });
});

describe('webhook metrics', () => {
  const scrape = async () => (await fetch(`${server.url}/metrics`)).text();

  it('count attempts by outcome and show the lag of an endpoint that is behind', async () => {
    const { client, workspaceId, projectId } = await workspaceWithProject();
    // An endpoint nothing listens on: its first event keeps failing, so it stays behind.
    const { id: webhookId } = await client.webhooks.create.mutate({
      workspaceId,
      url: 'http://127.0.0.1:9/closed',
    });
    // And one to the receiver, which gets it.
    await hook(client, workspaceId);
    await client.tasks.create.mutate({ projectId, title: 'stuck' });
    await receiver.until(() => ofWorkspace(workspaceId).length >= 1);
    const lagLine = new RegExp(
      `^trellis_webhook_lag_seconds\\{webhook="${webhookId}"\\} ([0-9.e+-]+)$`,
      'm',
    );
    let text = await scrape();
    while (
      !lagLine.test(text) ||
      !/trellis_webhook_deliveries_total\{outcome="failed"\} [1-9]/.test(text)
    ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      text = await scrape();
    }
    expect(Number(lagLine.exec(text)?.[1])).toBeGreaterThanOrEqual(0);
    expect(text).toMatch(/trellis_webhook_deliveries_total\{outcome="delivered"\} [1-9]/);
    await client.webhooks.delete.mutate({ webhookId });
    expect(await scrape()).not.toMatch(lagLine);
  });
});

describe('webhook targets', () => {
  it('refuses private addresses unless WEBHOOK_ALLOW_PRIVATE is set', async () => {
    const strict = await startTestServer({ webhooks: { ...defaults, allowPrivate: false } });
    try {
      const anonymous = createClient({ url: strict.url });
      const { session } = await anonymous.auth.signUp.mutate({
        email: `strict-${process.pid}@example.com`,
        password: 'correct horse battery staple',
        name: 'Strict',
      });
      const client = createClient({ url: strict.url, token: session.token });
      const { id: workspaceId } = await client.workspaces.create.mutate({
        name: 'S',
        slug: 'strict',
      });
      for (const url of [
        receiver.url,
        'http://localhost:9/hook',
        'http://10.0.0.1/hook',
        'http://169.254.169.254/latest/meta-data',
        'http://[::ffff:127.0.0.1]/hook',
      ]) {
        const error = await client.webhooks.create
          .mutate({ workspaceId, url })
          .catch((e: unknown) => e);
        expect(isTrellisError(error) && error.code).toBe('BAD_REQUEST');
        expect(isTrellisError(error) && Object.keys(error.fieldErrors ?? {})).toEqual(['url']);
      }
      expect(await client.webhooks.list.query({ workspaceId })).toEqual([]);
    } finally {
      await strict.close();
    }
  });
});
