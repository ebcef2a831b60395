import { outputs } from '@trellis/api';
import type { z } from 'zod';
import { EVENT_EXAMPLES } from './examples.js';
import type { OpenApiOperation, OpenApiParameter, OpenApiPathItem } from './openapi.js';
import type { JsonSchema } from './procedures.js';

// The OpenAPI document's `webhooks` section: every event a webhook endpoint can receive,
// as the POST Trellis sends it, with the Standard Webhooks headers and the event's schema
// (outputs.ts, the one the worker's payloads and `events.list` are typed by). Each event is
// a named component (`TaskUpdatedEvent`); `LogEvent` is the union of the log's, the items
// of `events.list`. A receiver's union is `LogEvent` or `WebhookPingEvent`: a component for
// it alone would be one no operation uses (Redocly's no-unused-components).

/** Every event a webhook can receive: the log's, then `webhook.ping`. */
export const WEBHOOK_EVENTS = [...outputs.logEventOutputs, outputs.pingEventOutput] as const;

/** An event type (`task.created`, …, `webhook.ping`). */
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number]['shape']['type']['value'];

/** What each event says happened: written once per type, so a new type needs its line. */
const EVENT_SUMMARIES: Record<WebhookEventType, string> = {
  'project.created': 'A project was created',
  'project.updated': 'A project was renamed (`changes` says from what)',
  'project.archived': 'A project was archived',
  'state.created': 'A workflow state was added to a project (`data`: the state)',
  'state.updated': 'A workflow state was renamed or moved (`changes`: `name` or `position`)',
  'state.deleted':
    'A workflow state was removed (its tasks moved first, each with a `task.updated`)',
  'task.created': 'A task was created',
  'task.updated': 'A task was changed (`changes` lists each field, from and to)',
  'task.deleted':
    'A task was moved to the trash, alone or with its parent (`data`: the task as it was)',
  'task.restored':
    'A task was restored from the trash, alone or with its parent (`data`: the task as restored)',
  'task.relation_added':
    'A relation between two tasks was added (`data`: `taskId` blocks, relates to or duplicates `otherTaskId`)',
  'task.relation_removed': 'A relation between two tasks was removed (`data`: the relation)',
  'task.due_soon':
    'An open task is due within 24 hours: its reminder, once per due date (`data`: the task)',
  'task.overdue':
    'An open task passed its due date: its reminder, once per due date (`data`: the task)',
  'view.created':
    'A view was shared: saved as shared, or a personal view made shared (`data`: the view)',
  'view.updated': 'A shared view was changed (`changes` lists each field, from and to)',
  'view.deleted':
    'A shared view was deleted or made personal again (`data`: the view as it was shared)',
  'comment.created': 'A comment was posted',
  'comment.updated': 'A comment was edited',
  'comment.deleted': 'A comment was deleted (`data`: the comment as it was)',
  'attachment.created':
    'A file was attached to a task or one of its comments (`data`: the attachment, never its bytes)',
  'attachment.deleted': 'An attachment was deleted (`data`: the attachment as it was)',
  'member.joined': 'Someone joined the workspace',
  'member.role_changed': "A member's role changed (`changes.role`)",
  'member.removed': 'An admin removed a member',
  'member.left': 'A member left the workspace',
  'api_token.revoked': 'An API token was revoked because its creator lost the right to hold it',
  'webhook.ping': 'A test event, sent by `webhooks.test`; never in the log',
};

/** The component name of an event's schema: `task.created` → `TaskCreatedEvent`. */
export function eventSchemaName(type: string): string {
  const words = type.split(/[._]/).filter(Boolean);
  return `${words.map((word) => word[0]?.toUpperCase() + word.slice(1)).join('')}Event`;
}

/** The union of the log's events (`events.list`), by name. */
export const EVENT_UNIONS = [[outputs.logEventOutput, 'LogEvent']] as const;

/** Components for the registry: each event, then the unions. */
export function eventComponents(): (readonly [z.ZodType, string])[] {
  return [
    ...WEBHOOK_EVENTS.map((schema) => [schema, eventSchemaName(schema.shape.type.value)] as const),
    ...EVENT_UNIONS,
  ];
}

const schemaRef = (name: string) => `#/components/schemas/${name}`;

/**
 * Adds the OpenAPI discriminator to the unions zod wrote as `oneOf`: `type` names the
 * event, so a generator picks the right class without trying each alternative.
 */
export function addEventDiscriminators(schemas: Record<string, JsonSchema>): void {
  for (const [union, name] of EVENT_UNIONS) {
    const schema = schemas[name];
    if (!schema) continue;
    const mapping = Object.fromEntries(
      union.options.map((option) => {
        const type = option.shape.type.value;
        return [type, schemaRef(eventSchemaName(type))];
      }),
    );
    schema.discriminator = { propertyName: 'type', mapping };
  }
}

/** The Standard Webhooks headers every delivery carries. */
export const WEBHOOK_HEADERS: OpenApiParameter[] = [
  {
    name: 'webhook-id',
    in: 'header',
    required: true,
    description:
      "The event's id (the body's `id`): the same on every retry, redelivery and replay of " +
      'this event. Receivers dedupe by it: delivery is at least once.',
    schema: { type: 'string' },
  },
  {
    name: 'webhook-timestamp',
    in: 'header',
    required: true,
    description:
      'When this attempt was signed, in whole seconds since the Unix epoch. Refuse a ' +
      'timestamp far from your clock (the reference libraries allow 5 minutes) against replays.',
    schema: { type: 'string', pattern: '^[0-9]+$' },
  },
  {
    name: 'webhook-signature',
    in: 'header',
    required: true,
    description:
      '`v1,<base64 HMAC-SHA256>` of `<webhook-id>.<webhook-timestamp>.<body>`, keyed by the ' +
      "base64-decoded part of the endpoint's secret after `whsec_`. Space-separated, one per " +
      'secret in force: for 24 hours after `webhooks.rotateSecret` the old secret signs too. ' +
      "Verify with any Standard Webhooks library, or `@trellis/client`'s `verifyWebhook`.",
    schema: { type: 'string', pattern: '^v1,[A-Za-z0-9+/=]+( v1,[A-Za-z0-9+/=]+)*$' },
  },
];

/** How the log's events are delivered. */
const LOG_EVENT_DELIVERY = [
  'Sent as `POST` to each enabled endpoint of the workspace whose `events` include this type ',
  '(or that lists none). Events are read from the activity log, which every change is ',
  'written to in its own transaction, and sent in log order per endpoint, at least once: a ',
  '2xx answer within the timeout (`WEBHOOK_TIMEOUT_MS`, 10 s) delivers; anything else ',
  '(another status, a redirect: none is followed, no answer) fails and is retried on ',
  '`WEBHOOK_RETRY_SCHEDULE` (5s, 5m, 30m, 2h, 5h, 10h, then every 10h, each ±20%), holding ',
  'back the events after it. After `WEBHOOK_RETRY_WINDOW` (3 days) of failing, the endpoint ',
  'is disabled with the reason; nothing is skipped: enabled again, it resumes at the event ',
  'that failed. `webhooks.replay` sends everything again from any event still in the log.',
].join('');

/** How the ping is delivered. */
const PING_DELIVERY =
  'Sent once, to one endpoint, when an admin calls `webhooks.test` (which answers the ' +
  'delivery); not retried, and never part of the log or `events.list`.';

/** What every delivery is, whatever its event. */
const SIGNED =
  ' Headers: `Content-Type: application/json`, `User-Agent: Trellis-Webhooks/1`, and the ' +
  'three `webhook-*` headers of the Standard Webhooks specification. The body is the event; ' +
  "its `data` is the API's own output type for the object.";

/** The description of one event's operation. */
export function webhookDescription(type: WebhookEventType): string {
  const delivery = type === 'webhook.ping' ? PING_DELIVERY : LOG_EVENT_DELIVERY;
  return `The \`${type}\` event. ${delivery}${SIGNED}`;
}

/** What the endpoint's answer means. */
const WEBHOOK_RESPONSES = {
  '2XX': { description: 'Delivered. The body is kept (its first 1 KB) in the delivery log.' },
  '4XX': {
    description:
      'Not delivered: retried on the schedule like any failure (and shown with its status ' +
      'and the first 1 KB of the body in `webhooks.deliveries`).',
  },
  default: {
    description:
      'Not delivered (a 5xx, a 3xx, or no answer within the timeout): retried on the schedule.',
  },
};

/** The `webhooks` section, given how the document turns a zod schema into JSON Schema. */
export function webhookPathItems(
  toSchema: (schema: z.ZodType) => JsonSchema,
): Record<string, OpenApiPathItem> {
  const items: Record<string, OpenApiPathItem> = {};
  for (const schema of WEBHOOK_EVENTS) {
    const type: WebhookEventType = schema.shape.type.value;
    const example = EVENT_EXAMPLES[type];
    const post: OpenApiOperation = {
      operationId: `on${eventSchemaName(type).replace(/Event$/, '')}`,
      summary: EVENT_SUMMARIES[type],
      description: webhookDescription(type),
      tags: ['webhookEvents'],
      parameters: WEBHOOK_HEADERS,
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: toSchema(schema),
            ...(example === undefined ? {} : { example }),
          },
        },
      },
      responses: WEBHOOK_RESPONSES,
      // Trellis calls the receiver: what proves it is the signature, not a credential.
      security: [],
    };
    items[type] = { post };
  }
  return items;
}
