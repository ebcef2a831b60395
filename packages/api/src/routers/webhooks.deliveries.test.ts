import { describe, expect, it } from 'vitest';
import { encodeCursor } from '../cursor.js';
import { fieldErrorsOf } from '../errors.js';
import { rejection } from '../test/harness.js';
import { makeTasks, type WebhookWorld, webhookWorldForEachTest } from '../test/webhook-fixtures.js';
import { verifyWith } from '../test/webhook-receiver.js';

// webhooks.deliveries, redeliver and replay, and what another workspace's admin can reach.

let world: WebhookWorld;
webhookWorldForEachTest((fresh) => {
  world = fresh;
});

describe('webhooks.deliveries', () => {
  it('lists attempts newest first, page by page, and refuses a cursor it did not give', async () => {
    const { owner, webhookId } = await world.hooked();
    const pings = [];
    for (let i = 0; i < 5; i += 1) pings.push(await owner.api.webhooks.test({ webhookId }));

    const pages = [];
    let cursor: string | undefined;
    do {
      const page = await owner.api.webhooks.deliveries({ webhookId, cursor, limit: 2 });
      pages.push(page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
    expect(pages.flat()).toEqual([...pings].reverse());

    for (const bad of ['garbage!', encodeCursor({ before: 'x' }), encodeCursor({ after: 1 })]) {
      const error = await rejection(owner.api.webhooks.deliveries({ webhookId, cursor: bad }));
      expect(error.code).toBe('BAD_REQUEST');
      expect(Object.keys(fieldErrorsOf(error.cause) ?? {})).toEqual(['cursor']);
    }
  });
});

describe('webhooks.redeliver', () => {
  it('sends the same event again, same webhook-id, as the next attempt', async () => {
    const team = await world.hooked();
    const { owner, receiver, webhookId, secret } = team;
    const worker = world.worker();
    const [eventId] = await makeTasks(team, 1);
    const [first] = await receiver.received(1);
    await worker.attempted(1);
    const [sent] = (await owner.api.webhooks.deliveries({ webhookId })).items;
    expect(sent).toMatchObject({
      eventId,
      eventType: 'task.created',
      attempt: 1,
      trigger: 'event',
    });

    const again = await owner.api.webhooks.redeliver({ deliveryId: sent?.id ?? '' });
    expect(again).toMatchObject({
      eventId,
      eventType: 'task.created',
      attempt: 2,
      trigger: 'redelivery',
      outcome: 'delivered',
    });
    const [, second] = await receiver.received(2);
    if (!first || !second) throw new Error('both arrived');
    expect(second.headers['webhook-id']).toBe(eventId);
    expect(verifyWith(secret, second)).toEqual(verifyWith(secret, first));
    const third = await owner.api.webhooks.redeliver({ deliveryId: again.id });
    expect(third.attempt).toBe(3);
    const { items } = await owner.api.webhooks.deliveries({ webhookId });
    expect(items.map((d) => [d.attempt, d.trigger])).toEqual([
      [3, 'redelivery'],
      [2, 'redelivery'],
      [1, 'event'],
    ]);
    expect(items[0]).toEqual(third);
  });

  it('sends a ping again under its id', async () => {
    const { owner, receiver, webhookId } = await world.hooked();
    const ping = await owner.api.webhooks.test({ webhookId });
    const again = await owner.api.webhooks.redeliver({ deliveryId: ping.id });
    expect(again).toMatchObject({ eventId: ping.eventId, attempt: 2, trigger: 'redelivery' });
    const requests = await receiver.received(2);
    expect(requests.map((r) => [r.headers['webhook-id'], r.event.type])).toEqual([
      [ping.eventId, 'webhook.ping'],
      [ping.eventId, 'webhook.ping'],
    ]);
  });
});

describe('webhooks.replay', () => {
  it('re-sends exactly the events from the one named (inclusive) on, in order', async () => {
    const team = await world.hooked();
    const { owner, receiver, webhookId, secret } = team;
    const worker = world.worker();
    const ids = await makeTasks(team, 5);
    await receiver.received(5);

    expect(await owner.api.webhooks.replay({ webhookId, fromEventId: ids[2] ?? '' })).toEqual({
      queued: 3,
    });
    const all = await receiver.received(8);
    await worker.close();
    expect(receiver.requests).toHaveLength(8);
    expect(all.map((request) => verifyWith(secret, request).id)).toEqual([...ids, ...ids.slice(2)]);
  });

  it('replays from an event long delivered, counting only the types the endpoint receives', async () => {
    const team = await world.hooked({ events: ['comment.created'] });
    const { owner, workspaceId, receiver, webhookId } = team;
    const [taskEvent] = await makeTasks(team, 1);
    const { items } = await owner.api.tasks.list({ workspaceId });
    const taskId = items[0]?.id ?? '';
    await owner.api.comments.create({ taskId, body: 'one' });
    await owner.api.comments.create({ taskId, body: 'two' });
    // The project's creation came before the endpoint: replay reaches back past it too.
    const [projectEvent] = (await owner.api.events.list({ workspaceId })).items;
    const worker = world.worker();
    await receiver.received(2);
    expect(await owner.api.webhooks.replay({ webhookId, fromEventId: taskEvent ?? '' })).toEqual({
      queued: 2,
    });
    await receiver.received(4);
    expect(
      await owner.api.webhooks.replay({ webhookId, fromEventId: projectEvent?.id ?? '' }),
    ).toEqual({ queued: 2 });
    const all = await receiver.received(6);
    await worker.close();
    expect(receiver.requests).toHaveLength(6);
    expect(all.map((r) => r.event.type)).toEqual(Array(6).fill('comment.created'));
  });

  it('on a disabled endpoint, sets where it resumes: nothing is sent until it is enabled', async () => {
    const team = await world.hooked();
    const { owner, workspaceId, receiver, webhookId } = team;
    const first = world.worker();
    await makeTasks(team, 3);
    await receiver.received(3);
    await first.close();
    await owner.api.webhooks.update({ webhookId, enabled: false });
    const ids = await makeTasks(team, 2);
    expect(await owner.api.webhooks.replay({ webhookId, fromEventId: ids[1] ?? '' })).toEqual({
      queued: 4,
    });
    // A worker that looks at once finds nothing to send while the endpoint is off.
    const idle = world.worker();
    await idle.close();
    expect(receiver.requests).toHaveLength(3);
    expect((await owner.api.webhooks.list({ workspaceId }))[0]?.enabled).toBe(false);

    world.worker();
    await owner.api.webhooks.update({ webhookId, enabled: true });
    const all = await receiver.received(7);
    expect(all.slice(3).map((r) => r.headers['webhook-id'])).toEqual(ids.slice(1));
  });

  it('refuses an event id it does not know, or another workspace’s', async () => {
    const { owner, outsider, workspaceId } = await world.team();
    const { id: webhookId } = await owner.api.webhooks.create({
      workspaceId,
      url: 'https://example.com/h',
    });
    const theirs = await outsider.api.workspaces.create({ name: 'Theirs', slug: 'theirs' });
    await outsider.api.projects.create({ workspaceId: theirs.id, name: 'Secret', key: 'SEC' });
    const [theirEvent] = (await outsider.api.events.list({ workspaceId: theirs.id })).items;
    for (const fromEventId of ['01J0000000000000000000000Z', theirEvent?.id ?? '']) {
      const error = await rejection(owner.api.webhooks.replay({ webhookId, fromEventId }));
      expect(error.code).toBe('BAD_REQUEST');
      expect(Object.keys(fieldErrorsOf(error.cause) ?? {})).toEqual(['fromEventId']);
      expect(error.message).not.toContain('Secret');
    }
  });
});

describe('another workspace', () => {
  it('cannot reach a webhook or a delivery by id: NOT_FOUND, never their data', async () => {
    const { owner, outsider, workspaceId } = await world.team();
    const receiver = await world.receiver();
    const { id: webhookId } = await owner.api.webhooks.create({
      workspaceId,
      url: receiver.url,
      description: 'private hook',
    });
    const ping = await owner.api.webhooks.test({ webhookId });
    // The outsider is an owner, of a workspace of their own.
    const theirs = await outsider.api.workspaces.create({ name: 'Theirs', slug: 'theirs' });
    await outsider.api.webhooks.create({ workspaceId: theirs.id, url: receiver.url });
    const [theirEvent] = (await outsider.api.events.list({ workspaceId: theirs.id })).items;

    // Each call made only when awaited: a rejection waiting in an array would go unhandled.
    const calls = [
      () => outsider.api.webhooks.update({ webhookId, description: 'mine now' }),
      () => outsider.api.webhooks.rotateSecret({ webhookId }),
      () => outsider.api.webhooks.delete({ webhookId }),
      () => outsider.api.webhooks.test({ webhookId }),
      () => outsider.api.webhooks.deliveries({ webhookId }),
      () => outsider.api.webhooks.redeliver({ deliveryId: ping.id }),
      () => outsider.api.webhooks.replay({ webhookId, fromEventId: theirEvent?.id ?? '' }),
      () => outsider.api.webhooks.list({ workspaceId }),
    ];
    for (const call of calls) {
      const error = await rejection(call());
      expect(error.code).toBe('NOT_FOUND');
      expect(error.message).not.toContain('private');
    }
    const [hook] = await owner.api.webhooks.list({ workspaceId });
    expect(hook).toMatchObject({ description: 'private hook', previousSecretExpiresAt: null });
    expect(receiver.requests).toHaveLength(1);
    expect((await owner.api.webhooks.deliveries({ webhookId })).items).toEqual([ping]);
  });
});
