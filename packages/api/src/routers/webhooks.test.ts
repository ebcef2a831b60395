import { WebhookVerificationError } from 'standardwebhooks';
import { describe, expect, it, vi } from 'vitest';
import { fieldErrorsOf } from '../errors.js';
import { rejection } from '../test/harness.js';
import { type WebhookWorld, webhookWorldForEachTest } from '../test/webhook-fixtures.js';
import { signaturesOf, verifyWith } from '../test/webhook-receiver.js';
import { CLOSED_URL } from '../test/webhook-settings.js';
import { MAX_WEBHOOKS_PER_WORKSPACE } from './webhooks.js';

// webhooks.create/list/update/rotateSecret/delete/test. Deliveries, redelivery, replay and
// tenancy: webhooks.deliveries.test.ts; what the delivery worker sends: webhooks/worker.test.ts.

let world: WebhookWorld;
webhookWorldForEachTest((fresh) => {
  world = fresh;
});

const DAY_MS = 24 * 60 * 60 * 1000;
const SECRET = /^whsec_([A-Za-z0-9+/]{32})$/;

describe('webhooks.create and list', () => {
  it('answers the id and a whsec_ secret once; list shows the endpoint, never the secret', async () => {
    const { owner, workspaceId } = await world.team();
    const created = await owner.api.webhooks.create({ workspaceId, url: 'https://example.com/h' });
    const [, base64] = SECRET.exec(created.secret) ?? [];
    expect(Buffer.from(base64 ?? '', 'base64')).toHaveLength(24);

    const list = await owner.api.webhooks.list({ workspaceId });
    expect(list).toEqual([
      {
        id: created.id,
        workspaceId,
        url: 'https://example.com/h',
        description: '',
        events: null,
        enabled: true,
        disabledReason: null,
        failingSince: null,
        failedAttempts: 0,
        nextAttemptAt: null,
        previousSecretExpiresAt: null,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      },
    ]);
    expect(JSON.stringify(list)).not.toContain(base64);
    const other = await owner.api.webhooks.create({ workspaceId, url: 'https://example.com/2' });
    expect(other.secret).not.toBe(created.secret);
  });

  it('keeps an events filter (without repeats) and a description', async () => {
    const { admin, workspaceId } = await world.team();
    const { id } = await admin.api.webhooks.create({
      workspaceId,
      url: 'https://example.com/h',
      events: ['task.created', 'comment.created', 'task.created'],
      description: 'CI bot',
    });
    const [hook] = await admin.api.webhooks.list({ workspaceId });
    expect(hook).toMatchObject({
      id,
      events: ['task.created', 'comment.created'],
      description: 'CI bot',
    });
  });

  it('refuses a bad url, bad event types and unknown keys, naming the field', async () => {
    const { owner, workspaceId } = await world.team();
    const cases: [Record<string, unknown>, string[]][] = [
      [{ url: 'not a url' }, ['url']],
      [{ url: 'ftp://example.com/h' }, ['url']],
      [{ url: '' }, ['url']],
      [{ url: 'https://example.com', events: ['task.exploded'] }, ['events.0']],
      [{ url: 'https://example.com', events: [] }, ['events']],
      [{ url: 'https://example.com', secret: 'whsec_mine' }, ['secret']],
      [{ url: 'https://example.com', description: 'x'.repeat(201) }, ['description']],
    ];
    for (const [input, fields] of cases) {
      const error = await rejection(
        owner.api.webhooks.create({ workspaceId, ...input } as {
          workspaceId: string;
          url: string;
        }),
      );
      expect(error.code, JSON.stringify(input)).toBe('BAD_REQUEST');
      expect(Object.keys(fieldErrorsOf(error.cause) ?? {}), JSON.stringify(input)).toEqual(fields);
    }
    expect(await owner.api.webhooks.list({ workspaceId })).toEqual([]);
  });

  it(`allows ${MAX_WEBHOOKS_PER_WORKSPACE} endpoints per workspace`, async () => {
    const { owner, workspaceId } = await world.team();
    const ids = [];
    for (let i = 0; i < MAX_WEBHOOKS_PER_WORKSPACE; i += 1) {
      ids.push((await owner.api.webhooks.create({ workspaceId, url: `https://e.com/${i}` })).id);
    }
    const error = await rejection(
      owner.api.webhooks.create({ workspaceId, url: 'https://e.com/x' }),
    );
    expect(error.code).toBe('CONFLICT');
    expect(error.message).toContain(String(MAX_WEBHOOKS_PER_WORKSPACE));
    expect(await owner.api.webhooks.list({ workspaceId })).toHaveLength(MAX_WEBHOOKS_PER_WORKSPACE);
    await owner.api.webhooks.delete({ webhookId: ids[0] ?? '' });
    await owner.api.webhooks.create({ workspaceId, url: 'https://e.com/x' });
  });

  it('holds the cap when admins create endpoints at the same moment', async () => {
    const { owner, admin, workspaceId } = await world.team();
    for (let i = 1; i < MAX_WEBHOOKS_PER_WORKSPACE; i += 1) {
      await owner.api.webhooks.create({ workspaceId, url: `https://e.com/${i}` });
    }
    const outcomes = await Promise.allSettled(
      [owner, admin, owner, admin].map((who, i) =>
        who.api.webhooks.create({ workspaceId, url: `https://e.com/last-${i}` }),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(await owner.api.webhooks.list({ workspaceId })).toHaveLength(MAX_WEBHOOKS_PER_WORKSPACE);
  });

  it('is for admins only', async () => {
    const { member, viewer, workspaceId } = await world.team();
    for (const who of [member, viewer]) {
      const error = await rejection(who.api.webhooks.list({ workspaceId }));
      expect(error.code).toBe('FORBIDDEN');
    }
  });
});

describe('webhooks.update', () => {
  it('changes the url, the filter, the description, and turns the endpoint off and on', async () => {
    const { owner, workspaceId } = await world.team();
    const { id: webhookId } = await owner.api.webhooks.create({
      workspaceId,
      url: 'https://example.com/a',
    });
    world.clock.advance(1000);
    const changed = await owner.api.webhooks.update({
      webhookId,
      url: 'https://example.com/b',
      events: ['task.deleted'],
      description: 'Deletions',
    });
    expect(changed).toMatchObject({
      url: 'https://example.com/b',
      events: ['task.deleted'],
      description: 'Deletions',
      enabled: true,
    });
    expect(changed.updatedAt > changed.createdAt).toBe(true);
    expect(await owner.api.webhooks.list({ workspaceId })).toEqual([changed]);

    const allTypes = await owner.api.webhooks.update({ webhookId, events: null });
    expect(allTypes.events).toBeNull();
    const off = await owner.api.webhooks.update({ webhookId, enabled: false });
    expect(off).toMatchObject({ enabled: false, disabledReason: null });
    const on = await owner.api.webhooks.update({ webhookId, enabled: true });
    expect(on).toMatchObject({ enabled: true, disabledReason: null, failedAttempts: 0 });
  });

  it('refuses an empty change, a bad url and unknown keys by name', async () => {
    const { owner, workspaceId } = await world.team();
    const { id: webhookId } = await owner.api.webhooks.create({
      workspaceId,
      url: 'https://e.com',
    });
    const empty = await rejection(owner.api.webhooks.update({ webhookId }));
    expect(empty.code).toBe('BAD_REQUEST');
    expect(empty.message).toContain('Nothing to change');
    const badUrl = await rejection(owner.api.webhooks.update({ webhookId, url: 'gopher://x' }));
    expect(Object.keys(fieldErrorsOf(badUrl.cause) ?? {})).toEqual(['url']);
    const badKey = await rejection(
      owner.api.webhooks.update({ webhookId, url: 'https://e.com/2', secret: 'x' } as {
        webhookId: string;
      }),
    );
    expect(fieldErrorsOf(badKey.cause)).toEqual({ secret: ['Unrecognized key'] });
    const [hook] = await owner.api.webhooks.list({ workspaceId });
    expect(hook?.url).toBe('https://e.com');
  });
});

describe('webhooks.test', () => {
  it('sends a signed webhook.ping and answers the delivery, as deliveries lists it', async () => {
    const { owner, workspaceId } = await world.team();
    const receiver = await world.receiver();
    const { id: webhookId, secret } = await owner.api.webhooks.create({
      workspaceId,
      url: receiver.url,
    });
    const delivery = await owner.api.webhooks.test({ webhookId });
    const [request] = await receiver.received(1);
    if (!request) throw new Error('the ping arrived');
    const event = verifyWith(secret, request);
    expect(event).toEqual({
      id: delivery.eventId,
      type: 'webhook.ping',
      timestamp: expect.any(String),
      workspaceId,
      actor: null,
      data: { webhookId },
    });
    expect(request.headers['webhook-id']).toBe(delivery.eventId);
    expect(signaturesOf(request)).toHaveLength(1);
    expect(delivery).toMatchObject({
      webhookId,
      eventType: 'webhook.ping',
      attempt: 1,
      trigger: 'ping',
      outcome: 'delivered',
      statusCode: 204,
      error: null,
    });
    const { items } = await owner.api.webhooks.deliveries({ webhookId });
    expect(items).toEqual([delivery]);
  });

  it('records a failed ping: the status and excerpt of a refusal, the error of no answer', async () => {
    const { owner, workspaceId } = await world.team();
    const receiver = await world.receiver(() => 500);
    const { id: webhookId } = await owner.api.webhooks.create({ workspaceId, url: receiver.url });
    const refused = await owner.api.webhooks.test({ webhookId });
    expect(refused).toMatchObject({
      outcome: 'failed',
      statusCode: 500,
      error: 'HTTP 500',
      responseExcerpt: 'answered 500',
    });
    await owner.api.webhooks.update({ webhookId, url: CLOSED_URL });
    const unanswered = await owner.api.webhooks.test({ webhookId });
    expect(unanswered).toMatchObject({
      outcome: 'failed',
      statusCode: null,
      responseExcerpt: null,
    });
    expect(unanswered.error).toEqual(expect.any(String));
    const { items } = await owner.api.webhooks.deliveries({ webhookId });
    expect(items).toEqual([unanswered, refused]);
  });

  it('writes down any answer, even one whose body no text column can hold as sent', async () => {
    const { owner, workspaceId } = await world.team();
    const body = `ok\u0000${'é'.repeat(600)}`;
    const receiver = await world.receiver(() => ({ status: 200, body }));
    const { id: webhookId } = await owner.api.webhooks.create({ workspaceId, url: receiver.url });
    const delivery = await owner.api.webhooks.test({ webhookId });
    expect(delivery).toMatchObject({ outcome: 'delivered', statusCode: 200 });
    // NUL dropped (PostgreSQL text refuses it), and at most 1 KB of what came.
    expect(delivery.responseExcerpt?.startsWith('ok\u00e9')).toBe(true);
    expect(Buffer.byteLength(delivery.responseExcerpt ?? '')).toBeLessThanOrEqual(1024);
    expect((await owner.api.webhooks.deliveries({ webhookId })).items).toEqual([delivery]);
  });
});

describe('deleting an endpoint while its request is out', () => {
  it('answers NOT_FOUND to webhooks.test, and the worker lets the endpoint go quietly', async () => {
    const { owner, workspaceId, projectId } = await world.team();
    let webhookId = '';
    // Answers only once the endpoint is gone: the attempt has nothing to be written under.
    const receiver = await world.receiver(async () => {
      await owner.api.webhooks.delete({ webhookId });
      return 204;
    });
    webhookId = (await owner.api.webhooks.create({ workspaceId, url: receiver.url })).id;
    const error = await rejection(owner.api.webhooks.test({ webhookId }));
    expect(error.code).toBe('NOT_FOUND');

    webhookId = (await owner.api.webhooks.create({ workspaceId, url: receiver.url })).id;
    const worker = world.worker();
    await owner.api.tasks.create({ projectId, title: 'Sent as its endpoint goes' });
    await receiver.received(2);
    // The worker reported nothing (the fixture fails the test on any error) and is idle.
    await worker.close();
    expect(await owner.api.webhooks.list({ workspaceId })).toEqual([]);
  });
});

describe('webhooks.rotateSecret', () => {
  it('signs with the old and the new secret for 24 hours, then with the new alone', async () => {
    const { owner, workspaceId } = await world.team();
    const receiver = await world.receiver();
    const { id: webhookId, secret: old } = await owner.api.webhooks.create({
      workspaceId,
      url: receiver.url,
    });
    const rotatedAt = world.clock.now().getTime();
    const { id, secret } = await owner.api.webhooks.rotateSecret({ webhookId });
    expect(id).toBe(webhookId);
    expect(secret).toMatch(SECRET);
    expect(secret).not.toBe(old);
    const [hook] = await owner.api.webhooks.list({ workspaceId });
    const expiresAt = Date.parse(hook?.previousSecretExpiresAt ?? '');
    expect(expiresAt - rotatedAt).toBeGreaterThanOrEqual(DAY_MS);
    expect(expiresAt - rotatedAt).toBeLessThan(DAY_MS + 60_000);

    await owner.api.webhooks.test({ webhookId });
    const [during] = await receiver.received(1);
    if (!during) throw new Error('the ping arrived');
    expect(signaturesOf(during)).toHaveLength(2);
    for (const signature of signaturesOf(during)) expect(signature).toMatch(/^v1,/);
    expect(verifyWith(old, during).type).toBe('webhook.ping');
    expect(verifyWith(secret, during).type).toBe('webhook.ping');

    // A day later (the receiver's clock too: it checks the timestamp against its own).
    world.clock.advance(DAY_MS + 1000);
    await owner.api.webhooks.test({ webhookId });
    const after = (await receiver.received(2))[1];
    if (!after) throw new Error('the second ping arrived');
    expect(signaturesOf(after)).toHaveLength(1);
    vi.useFakeTimers({ toFake: ['Date'], now: world.clock.now() });
    try {
      expect(verifyWith(secret, after).type).toBe('webhook.ping');
      expect(() => verifyWith(old, after)).toThrow(WebhookVerificationError);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('webhooks.delete', () => {
  it('removes the endpoint and its deliveries', async () => {
    const { owner, workspaceId } = await world.team();
    const receiver = await world.receiver();
    const { id: webhookId } = await owner.api.webhooks.create({ workspaceId, url: receiver.url });
    const { id: keptId } = await owner.api.webhooks.create({ workspaceId, url: receiver.url });
    const gone = await owner.api.webhooks.test({ webhookId });
    await owner.api.webhooks.test({ webhookId: keptId });

    expect(await owner.api.webhooks.delete({ webhookId })).toEqual({ ok: true });
    expect((await owner.api.webhooks.list({ workspaceId })).map((h) => h.id)).toEqual([keptId]);
    const rows = await world.harness.db
      .selectFrom('webhook_deliveries')
      .select(['id', 'webhook_id'])
      .execute();
    expect(rows.map((row) => row.webhook_id)).toEqual([keptId]);
    for (const call of [
      () => owner.api.webhooks.delete({ webhookId }),
      () => owner.api.webhooks.deliveries({ webhookId }),
      () => owner.api.webhooks.redeliver({ deliveryId: gone.id }),
    ]) {
      expect((await rejection(call())).code).toBe('NOT_FOUND');
    }
  });
});
