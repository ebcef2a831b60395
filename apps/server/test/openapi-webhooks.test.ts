// The `webhooks` section of /api/openapi.json: every event a webhook endpoint can receive,
// with its schema, headers and answers, held against the events a real server sends to a
// real receiver (verified there with the `standardwebhooks` library).
import { outputs } from '@trellis/api';
import type { RouterOutputs } from '@trellis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { EVENT_EXAMPLES } from '../src/rest/examples.js';
import { eventSchemaName } from '../src/rest/webhook-events.js';
import { accountsOn, type Team } from './support/accounts.js';
import { serveThisFile } from './support/http.js';
import { restOn } from './support/rest.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';
import { dataOf, isRecord } from './support/wire.js';
import { workOn } from './support/work.js';

const wire = serveThisFile({ webhooks: { ...loadConfig({}).webhooks, allowPrivate: true } });
const { rest } = restOn(wire);
const { makeTeam } = accountsOn(wire);
const { createProject, createTask } = workOn(wire);

type Json = Record<string, unknown>;
interface Operation {
  operationId: string;
  description: string;
  tags: string[];
  parameters: { name: string; in: string; required: boolean; description: string }[];
  requestBody: { required: boolean; content: Record<string, { schema: Json; example?: unknown }> };
  responses: Record<string, { description: string }>;
  security: unknown[];
}

let document: {
  webhooks: Record<string, { post?: Operation } & Json>;
  paths: Record<string, Record<string, { responses: Record<string, Json> }>>;
  components: { schemas: Record<string, Json> };
  tags: { name: string }[];
};
let receiver: WebhookReceiver;
let team: Team;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  document = (await wire.send('/api/openapi.json')).json as typeof document;
  team = await makeTeam();
});
afterAll(async () => {
  await receiver.close();
});

const EVERY_TYPE = [...outputs.LOG_EVENT_TYPES, 'webhook.ping'];

/** The component a `$ref` names. */
function resolve(schema: Json): Json {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return schema;
  const found = document.components.schemas[ref.replace('#/components/schemas/', '')];
  if (!found) throw new Error(`dangling ${ref}`);
  return found;
}

/** The POST of one event in the webhooks section. */
function eventOperation(type: string): Operation {
  const operation = document.webhooks[type]?.post;
  if (!operation) throw new Error(`no webhook operation for ${type}`);
  return operation;
}

const bodySchemaOf = (type: string) => {
  const schema = eventOperation(type).requestBody.content['application/json']?.schema;
  if (!schema) throw new Error(`no body schema for ${type}`);
  return schema;
};

describe('the webhooks section', () => {
  it('lists exactly the log event types and webhook.ping, each as one POST', () => {
    expect(Object.keys(document.webhooks)).toEqual(EVERY_TYPE);
    for (const [type, item] of Object.entries(document.webhooks)) {
      expect(Object.keys(item), type).toEqual(['post']);
    }
    expect(document.tags.map((tag) => tag.name)).toContain('webhookEvents');
  });

  it("gives each event a named component whose `type` is the event's const", () => {
    for (const type of EVERY_TYPE) {
      const schema = bodySchemaOf(type);
      expect(schema, type).toEqual({ $ref: `#/components/schemas/${eventSchemaName(type)}` });
      const component = resolve(schema) as { properties: Record<string, Json>; required: string[] };
      expect(component.properties.type, type).toEqual({ type: 'string', const: type });
      expect(component.required, type).toEqual(
        expect.arrayContaining(['id', 'type', 'timestamp', 'workspaceId', 'actor', 'data']),
      );
    }
    expect(eventSchemaName('member.role_changed')).toBe('MemberRoleChangedEvent');
    expect(eventSchemaName('api_token.revoked')).toBe('ApiTokenRevokedEvent');
  });

  it('sends the three Standard Webhooks headers, says what 2xx means, and asks no credential', () => {
    for (const type of EVERY_TYPE) {
      const operation = eventOperation(type);
      expect(
        operation.parameters.map((p) => `${p.in} ${p.name} ${p.required}`),
        type,
      ).toEqual([
        'header webhook-id true',
        'header webhook-timestamp true',
        'header webhook-signature true',
      ]);
      expect(operation.parameters[2]?.description).toMatch(/v1,<base64 HMAC-SHA256>/);
      expect(Object.keys(operation.responses)).toEqual(['2XX', '4XX', 'default']);
      expect(operation.responses['2XX']?.description).toMatch(/^Delivered/);
      expect(operation.security).toEqual([]);
      expect(operation.requestBody.required).toBe(true);
      expect(operation.tags).toEqual(['webhookEvents']);
    }
    const updated = eventOperation('task.updated');
    expect(updated.operationId).toBe('onTaskUpdated');
    expect(updated.description).toMatch(/WEBHOOK_RETRY_SCHEDULE/);
    expect(eventOperation('webhook.ping').description).toMatch(/webhooks\.test/);
  });

  it('has LogEvent, the union of the log events with a discriminator on type, as events.list items', () => {
    const union = document.components.schemas.LogEvent as {
      oneOf: Json[];
      discriminator: { propertyName: string; mapping: Record<string, string> };
    };
    const refs = outputs.LOG_EVENT_TYPES.map(
      (type) => `#/components/schemas/${eventSchemaName(type)}`,
    );
    expect(union.oneOf).toEqual(refs.map(($ref) => ({ $ref })));
    expect(union.discriminator.propertyName).toBe('type');
    expect(Object.entries(union.discriminator.mapping)).toEqual(
      outputs.LOG_EVENT_TYPES.map((type, i) => [type, refs[i]]),
    );
    const list = document.paths['/workspaces/{workspaceId}/events']?.get?.responses['200'];
    expect(JSON.stringify(list)).toContain(
      '"items":{"type":"array","items":{"$ref":"#/components/schemas/LogEvent"}}',
    );
  });

  it('shows examples the event schemas accept as they are', () => {
    const examples = Object.entries(EVENT_EXAMPLES);
    expect(examples.length).toBeGreaterThan(0);
    for (const [type, example] of examples) {
      const parsed = outputs.webhookEventOutput.safeParse(example);
      expect(parsed.error, type).toBeUndefined();
      expect(parsed.data).toEqual(example);
      expect(eventOperation(type).requestBody.content['application/json']?.example).toEqual(
        example,
      );
    }
  });
});

describe('GET /api/docs', () => {
  it('shows each event under webhookEvents, named by its type', async () => {
    const html = (await wire.send('/api/docs')).text;
    expect(html).toContain('<h2 id="tag-webhookEvents">webhookEvents</h2>');
    for (const type of EVERY_TYPE) {
      const { operationId } = eventOperation(type);
      expect(html).toContain(`id="${operationId}"`);
      expect(html).toContain(
        `<span class="method post">post</span> <code>${type}</code> <small>to your endpoint</small>`,
      );
    }
  });
});

describe('real deliveries, held against the document', () => {
  it('sends bodies with exactly the keys of their event component and of its data', async () => {
    const created = dataOf<RouterOutputs['webhooks']['create']>(
      await wire.mutate(
        'webhooks.create',
        { workspaceId: team.workspaceId, url: receiver.url },
        { token: team.admin.token },
      ),
    );
    receiver.secrets.push(created.secret);
    const project = await createProject(team.admin.token, team.workspaceId, 'HOOK');
    const task = await createTask(team.member.token, project.id);
    const ping = await rest('POST', `/webhooks/${created.id}/test`, { token: team.admin.token });
    expect(ping.status).toBe(200);
    await receiver.until((received) =>
      ['project.created', 'task.created', 'webhook.ping'].every((type) =>
        received.some((r) => r.event?.type === type && r.event.workspaceId === team.workspaceId),
      ),
    );
    for (const { event, headers } of receiver.received) {
      if (!event || event.workspaceId !== team.workspaceId) continue;
      const component = resolve(bodySchemaOf(event.type)) as {
        properties: Record<string, Json>;
      };
      expect(Object.keys(event).sort(), event.type).toEqual(
        Object.keys(component.properties).sort(),
      );
      const data = resolve(component.properties.data as Json) as { properties: Json };
      expect(isRecord(event.data) && Object.keys(event.data).sort(), event.type).toEqual(
        Object.keys(data.properties).sort(),
      );
      expect(headers['webhook-id']).toBe(event.id);
      expect(headers['content-type']).toBe('application/json');
    }
    const sent = receiver.received.find((r) => r.event?.type === 'task.created')?.event;
    expect(sent).toMatchObject({ workspaceId: team.workspaceId, data: { id: task.id } });
  });
});
