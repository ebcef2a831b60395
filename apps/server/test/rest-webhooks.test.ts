// Webhooks and events over REST: the routes a script or a generated client uses to manage
// endpoints and to pull the events they push. A real server, a real receiver on 127.0.0.1
// (verifying with the `standardwebhooks` library); serveThisFile checks that every status
// seen here is one /api/openapi.json lists for its route.
import type { RouterOutputs } from '@trellis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { accountsOn, type Team } from './support/accounts.js';
import { serveThisFile } from './support/http.js';
import { expectRestError, restOn } from './support/rest.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';
import type { Reply } from './support/wire.js';
import { workOn } from './support/work.js';

type Webhook = RouterOutputs['webhooks']['list'][number];
type Secret = RouterOutputs['webhooks']['create'];
type Delivery = RouterOutputs['webhooks']['test'];
type EventPage = RouterOutputs['events']['list'];

const wire = serveThisFile({ webhooks: { ...loadConfig({}).webhooks, allowPrivate: true } });
const { rest } = restOn(wire);
const { makeTeam } = accountsOn(wire);
const { createProject, createTask } = workOn(wire);

let receiver: WebhookReceiver;
let team: Team;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  team = await makeTeam();
});
afterAll(async () => {
  await receiver.close();
});

/** The JSON of a success answer with `status`. */
function ok<T>(reply: Reply, status = 200): T {
  expect(reply.status, reply.text.slice(0, 300)).toBe(status);
  return reply.json as T;
}

/** A field error's fields: a 400 naming `field`. */
function refusedField(reply: Reply, field: string) {
  const error = expectRestError(reply, 400, 'BAD_REQUEST');
  expect(Object.keys(error.fieldErrors ?? {}), reply.text).toContain(field);
}

async function createHook(body: Record<string, unknown> = {}): Promise<Secret> {
  const created = ok<Secret>(
    await rest('POST', `/workspaces/${team.workspaceId}/webhooks`, {
      token: team.admin.token,
      body: { url: receiver.url, ...body },
    }),
    201,
  );
  receiver.secrets.push(created.secret);
  return created;
}

describe('POST /workspaces/{workspaceId}/webhooks and GET the list', () => {
  it('creates an endpoint (201) with its secret shown once, never in the list', async () => {
    const created = await createHook({ events: ['comment.created'], description: 'CI bot' });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const list = await rest('GET', `/workspaces/${team.workspaceId}/webhooks`, {
      token: team.admin.token,
    });
    const found = ok<Webhook[]>(list).find((hook) => hook.id === created.id);
    expect(found).toMatchObject({
      url: receiver.url,
      events: ['comment.created'],
      description: 'CI bot',
      enabled: true,
    });
    expect(list.text).not.toContain(created.secret);
    expect(list.text).not.toContain('whsec_');
  });

  it('is not found for a non-member and forbidden below admin', async () => {
    const path = `/workspaces/${team.workspaceId}/webhooks`;
    const body = { url: receiver.url };
    expectRestError(
      await rest('POST', path, { token: team.outsider.token, body }),
      404,
      'NOT_FOUND',
    );
    expectRestError(await rest('GET', path, { token: team.outsider.token }), 404, 'NOT_FOUND');
    expectRestError(await rest('POST', path, { token: team.member.token, body }), 403, 'FORBIDDEN');
    expectRestError(await rest('GET', path, { token: team.member.token }), 403, 'FORBIDDEN');
  });

  it('refuses a URL it will not send to, and unknown event types, naming the field', async () => {
    const path = `/workspaces/${team.workspaceId}/webhooks`;
    const token = team.admin.token;
    // A cloud metadata address stays refused even where private targets are allowed.
    refusedField(
      await rest('POST', path, { token, body: { url: 'http://169.254.169.254/' } }),
      'url',
    );
    refusedField(await rest('POST', path, { token, body: { url: 'not a url' } }), 'url');
    refusedField(await rest('POST', path, { token, body: {} }), 'url');
    const unknownType = await rest('POST', path, {
      token,
      body: { url: receiver.url, events: ['task.exploded'] },
    });
    expectRestError(unknownType, 400, 'BAD_REQUEST');
    expect(unknownType.text).toContain('events');
  });

  it('answers 409 past 20 endpoints in a workspace', async () => {
    const path = `/workspaces/${team.outsiderWorkspaceId}/webhooks`;
    const token = team.outsider.token;
    for (let i = 0; i < 20; i += 1) {
      ok(await rest('POST', path, { token, body: { url: `${receiver.url}?n=${i}` } }), 201);
    }
    const refused = await rest('POST', path, { token, body: { url: receiver.url } });
    expect(expectRestError(refused, 409, 'CONFLICT').message).toMatch(/at most 20/);
  });
});

describe('one endpoint, from test to delete', () => {
  it('pings (test), lists the delivery, redelivers it, rotates, disables, deletes', async () => {
    const { id, secret } = await createHook();
    const token = team.admin.token;
    const ping = ok<Delivery>(await rest('POST', `/webhooks/${id}/test`, { token }));
    expect(ping).toMatchObject({ webhookId: id, eventType: 'webhook.ping', outcome: 'delivered' });
    const arrived = receiver.received.find((r) => r.id === ping.eventId);
    expect(arrived?.event).toMatchObject({ type: 'webhook.ping', data: { webhookId: id } });

    const page = ok<RouterOutputs['webhooks']['deliveries']>(
      await rest('GET', `/webhooks/${id}/deliveries`, { token }),
    );
    expect(page.items.map((d) => d.id)).toEqual([ping.id]);
    const again = ok<Delivery>(
      await rest('POST', `/webhook-deliveries/${ping.id}/redeliver`, { token }),
    );
    expect(again).toMatchObject({ eventId: ping.eventId, attempt: 2, trigger: 'redelivery' });
    expectRestError(
      await rest('POST', `/webhook-deliveries/${ping.id}/redeliver`, {
        token: team.outsider.token,
      }),
      404,
      'NOT_FOUND',
    );

    const rotated = ok<Secret>(await rest('POST', `/webhooks/${id}/rotate-secret`, { token }));
    expect(rotated).toMatchObject({ id, secret: expect.stringMatching(/^whsec_/) });
    expect(rotated.secret).not.toBe(secret);

    refusedField(await rest('PATCH', `/webhooks/${id}`, { token, body: {} }), '');
    const disabled = ok<Webhook>(
      await rest('PATCH', `/webhooks/${id}`, { token, body: { enabled: false } }),
    );
    expect(disabled).toMatchObject({ id, enabled: false, disabledReason: null });

    expect(ok(await rest('DELETE', `/webhooks/${id}`, { token }))).toEqual({ ok: true });
    expectRestError(await rest('GET', `/webhooks/${id}/deliveries`, { token }), 404, 'NOT_FOUND');
  });
});

describe('GET /workspaces/{workspaceId}/events and POST /webhooks/{webhookId}/replay', () => {
  it('pulls the events webhooks push, and replays from one of them', async () => {
    const hook = await createHook({ events: ['task.created'] });
    const project = await createProject(team.admin.token, team.workspaceId, 'EVT');
    const task = await createTask(team.member.token, project.id);
    const events = `/workspaces/${team.workspaceId}/events`;
    const page = ok<EventPage>(
      await rest('GET', events, { token: team.member.token, query: { types: ['task.created'] } }),
    );
    const pulled = page.items.find(
      (event) => event.type === 'task.created' && event.data.id === task.id,
    );
    expect(pulled).toBeDefined();
    await receiver.until((received) => received.some((r) => r.id === pulled?.id));
    expect(receiver.received.find((r) => r.id === pulled?.id)?.event).toEqual(pulled);

    refusedField(
      await rest('GET', events, { token: team.member.token, query: { after: 'no-such-event' } }),
      'after',
    );
    const replay = `/webhooks/${hook.id}/replay`;
    refusedField(
      await rest('POST', replay, { token: team.admin.token, body: { fromEventId: 'nope' } }),
      'fromEventId',
    );
    const before = receiver.received.filter((r) => r.id === pulled?.id).length;
    const queued = ok<{ queued: number }>(
      await rest('POST', replay, { token: team.admin.token, body: { fromEventId: pulled?.id } }),
    );
    expect(queued.queued).toBeGreaterThanOrEqual(1);
    await receiver.until((received) => received.filter((r) => r.id === pulled?.id).length > before);
    expectRestError(await rest('GET', events, { token: team.outsider.token }), 404, 'NOT_FOUND');
  });
});
