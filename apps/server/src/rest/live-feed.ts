import { outputs, procedureSchemas } from '@trellis/api';
import type { AnyTRPCRouter } from '@trpc/server';
import { z } from 'zod';
import type { OpenApiOperation, OpenApiPathItem } from './openapi.js';
import type { JsonSchema } from './procedures.js';

// The live feeds in the OpenAPI document. Subscriptions have no REST route: they are served
// by the tRPC transport as server-sent events (`GET /trpc/<path>?input=<json>` with
// `Accept: text/event-stream`), and documented as such, under a path whose `servers` is
// `/trpc`. The input schema is the procedure's own; the event schema is listed with each
// feed (a subscription declares no output: its answer is a stream, not one value).

/**
 * What a `tasks.onChange` change event carries in its `data:` line (tasks-on-change.ts
 * `TaskChangeEvent`); `id` is also the event's SSE `id:`. openapi.test.ts parses real
 * events with it.
 */
export const taskChangeEvent = z.object({
  id: z.string(),
  type: z.enum(['created', 'updated', 'deleted']),
  task: outputs.taskOutput,
});

/** A subscription in the document: what the page says about it, and one event's `data`. */
interface LiveFeed {
  procedure: string;
  summary: string;
  /** The JSON the `input` query parameter holds, as the description names it. */
  inputText: string;
  /** What one event is about, and the name of its schema under components.schemas. */
  item: string;
  component: string;
  event: z.ZodType;
}

/** Subscriptions in the document, with what the page says about each. */
export const LIVE_FEEDS: readonly LiveFeed[] = [
  {
    procedure: 'tasks.onChange',
    summary: "A workspace's task changes as they happen (server-sent events; viewer+)",
    inputText: '{workspaceId, lastEventId?}',
    item: 'change (`TaskChangeData`: `{id, type, task}`)',
    component: 'TaskChangeData',
    event: taskChangeEvent,
  },
  {
    procedure: 'notifications.onNew',
    summary:
      "The caller's new notifications as they arrive, each with the unread count (server-sent events; people only)",
    inputText: '{lastEventId?}',
    item: 'notification (`NotificationEvent`: `{notification, unreadCount}`)',
    component: 'NotificationEvent',
    event: outputs.notificationEventOutput,
  },
];

/** A subscription the document describes, with its schemas. */
export interface ResolvedFeed extends LiveFeed {
  input: z.ZodType;
}

/** Looks up every feed's procedure; fails at startup when one is missing or not a subscription. */
export function resolveFeeds(router: AnyTRPCRouter): ResolvedFeed[] {
  const procedures = procedureSchemas(router);
  return LIVE_FEEDS.map((feed) => {
    const def = procedures.get(feed.procedure);
    const [input, ...more] = def?.inputs ?? [];
    if (def?.type !== 'subscription' || input === undefined || more.length > 0) {
      throw new Error(`Live feed ${feed.procedure}: no subscription with one zod input schema`);
    }
    return { ...feed, input };
  });
}

/** How a client follows a feed's stream: the page and the document say the same. */
const liveFeedDescription = (feed: LiveFeed) =>
  [
    `Served by the tRPC transport, not under /api/v1: \`GET /trpc/${feed.procedure}?input=<JSON>\` `,
    `with \`Accept: text/event-stream\` (\`input\` is the JSON of \`${feed.inputText}\`, `,
    'URL-encoded). The answer is always an HTTP 200 event stream once the request is taken ',
    '(a stream over `MAX_STREAMS_PER_USER` is refused with 429 first). Its events, in order: ',
    '`connected` (data: the client settings, JSON; its SSE `id:`, when present, is where the ',
    'stream starts, so a reconnect before the first event resumes there); then one unnamed ',
    `event per ${feed.item}, whose SSE \`id:\` is the event id and whose \`data:\` is it as JSON; `,
    '`ping` every 10 s (empty data); and at the end either `return` (the stream is over: the ',
    "caller lost access) or `serialized-error` (data: tRPC's error shape with `data.code` and ",
    '`data.httpStatus`, e.g. 401, 404, or 400 for an unknown `lastEventId`). To resume, send ',
    'the last event id back as the `Last-Event-ID` header or `input.lastEventId`: every event ',
    'after it is replayed, in order. Without one the stream starts from now.',
  ].join('');

/** One server-sent event of a feed's stream, as JSON Schema: its `event`, `id` and `data`. */
function sseEvent(title: string, fields: Record<string, JsonSchema>, required: string[]) {
  return { title, type: 'object', properties: fields, required };
}

const jsonData = (description: string, contentSchema?: JsonSchema): JsonSchema => ({
  type: 'string',
  contentMediaType: 'application/json',
  ...(contentSchema ? { contentSchema } : {}),
  description,
});

/** The path item of a live feed: GET on the tRPC transport, answered as an event stream. */
export function feedPathItem(
  feed: ResolvedFeed,
  input: JsonSchema,
  event: JsonSchema,
): OpenApiPathItem {
  const stream = {
    description:
      'The stream is a sequence of server-sent events; this is one as an SSE parser reads it: ' +
      'its type (`event`), `id` and `data`, by type.',
    oneOf: [
      sseEvent(
        'change',
        {
          event: {
            const: 'message',
            description: 'No `event:` line is written: an event without one is a `message`.',
          },
          id: { type: 'string', description: 'The event id: send it back to resume after it.' },
          data: jsonData('The event (a change, a notification).', event),
        },
        ['event', 'id', 'data'],
      ),
      sseEvent(
        'connected',
        {
          event: { const: 'connected' },
          id: {
            type: 'string',
            description:
              'Where the stream starts: resuming from it (`Last-Event-ID`) misses nothing, even before the first change.',
          },
          data: jsonData('Client settings (reconnect timing).'),
        },
        ['event'],
      ),
      sseEvent('ping', { event: { const: 'ping' } }, ['event']),
      sseEvent('return', { event: { const: 'return' } }, ['event']),
      sseEvent(
        'serialized-error',
        {
          event: { const: 'serialized-error' },
          data: jsonData('Why the stream ends.', {
            $ref: '#/components/schemas/TrpcErrorShape',
          }),
        },
        ['event', 'data'],
      ),
    ],
  };
  const operation: OpenApiOperation = {
    operationId: feed.procedure,
    summary: feed.summary,
    description: liveFeedDescription(feed),
    tags: ['live'],
    parameters: [
      {
        name: 'input',
        in: 'query',
        // An input whose schema has a default (notifications.onNew's `{}`) may be left out.
        required: !('default' in input),
        description: "The subscription's input as JSON, URL-encoded.",
        content: { 'application/json': { schema: input } },
      },
      {
        name: 'Last-Event-ID',
        in: 'header',
        required: false,
        description:
          'The id of the last event received: the stream replays every event after it ' +
          '(the same as `input.lastEventId`).',
        schema: { type: 'string' },
      },
    ],
    responses: {
      200: {
        description: 'The event stream, for as long as the caller may listen.',
        content: { 'text/event-stream': { schema: stream } },
      },
      429: {
        description:
          'Too many live streams open for this user (`MAX_STREAMS_PER_USER`): close one, or ' +
          'retry after `Retry-After` seconds.',
        headers: { 'Retry-After': { $ref: '#/components/headers/Retry-After' } },
        content: { 'application/json': { schema: { $ref: '#/components/schemas/TrpcError' } } },
      },
      default: { $ref: '#/components/responses/Unexpected' },
    },
  };
  return { servers: [{ url: '/trpc' }], get: operation };
}
