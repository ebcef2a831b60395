import { outputs, procedureSchemas } from '@trellis/api';
import type { AnyTRPCRouter } from '@trpc/server';
import { z } from 'zod';
import type { OpenApiOperation, OpenApiPathItem } from './openapi.js';
import type { JsonSchema } from './procedures.js';

// The live feed in the OpenAPI document. Subscriptions have no REST route: they are served
// by the tRPC transport as server-sent events (`GET /trpc/<path>?input=<json>` with
// `Accept: text/event-stream`), and documented as such, under a path whose `servers` is
// `/trpc`. The input schema is the procedure's own; so is the event schema when the
// procedure declares an output, otherwise it is built below from the task's output schema.

/** Subscriptions in the document, with what the page says about each. */
export const LIVE_FEEDS = [
  {
    procedure: 'tasks.onChange',
    summary: "A workspace's task changes as they happen (server-sent events; viewer+)",
  },
] as const;

/**
 * What a `tasks.onChange` change event carries in its `data:` line (tasks-on-change.ts
 * `TaskChangeEvent`); `id` is also the event's SSE `id:`. Used while the procedure declares
 * no output of its own; openapi.test.ts parses real events with it.
 */
export const taskChangeEvent = z.object({
  id: z.string(),
  type: z.enum(['created', 'updated', 'deleted']),
  task: outputs.taskOutput,
});

/** A subscription the document describes, with its schemas. */
export interface ResolvedFeed {
  procedure: string;
  summary: string;
  input: z.ZodType;
  /** One event's `data`. */
  event: z.ZodType;
}

/** Looks up every feed's procedure; fails at startup when one is missing or not a subscription. */
export function resolveFeeds(router: AnyTRPCRouter): ResolvedFeed[] {
  const procedures = procedureSchemas(router);
  return LIVE_FEEDS.map(({ procedure, summary }) => {
    const def = procedures.get(procedure);
    const [input, ...more] = def?.inputs ?? [];
    if (def?.type !== 'subscription' || input === undefined || more.length > 0) {
      throw new Error(`Live feed ${procedure}: no subscription with one zod input schema`);
    }
    return { procedure, summary, input, event: def.output ?? taskChangeEvent };
  });
}

/** How a client follows the stream: the page and the document say the same. */
const LIVE_FEED_DESCRIPTION = [
  'Served by the tRPC transport, not under /api/v1: `GET /trpc/tasks.onChange?input=<JSON>` ',
  'with `Accept: text/event-stream` (`input` is the JSON of `{workspaceId, lastEventId?}`, ',
  'URL-encoded). The answer is always an HTTP 200 event stream once the request is taken ',
  '(a stream over `MAX_STREAMS_PER_USER` is refused with 429 first). Its events, in order: ',
  '`connected` (data: the client settings, JSON; its SSE `id:`, when present, is where the ',
  'stream starts, so a reconnect before the first change resumes there); then one unnamed ',
  'event per change, whose SSE `id:` is the event id and whose `data:` is the change as ',
  'JSON (`TaskChangeData`: `{id, type, task}`); ',
  '`ping` every 10 s (empty data); and at the end either `return` (the stream is over: the ',
  "caller lost access) or `serialized-error` (data: tRPC's error shape with `data.code` and ",
  '`data.httpStatus`, e.g. 401, 404, or 400 for an unknown `lastEventId`). To resume, send ',
  'the last event id back as the `Last-Event-ID` header or `input.lastEventId`: every change ',
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
          data: jsonData('The change.', event),
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
    description: LIVE_FEED_DESCRIPTION,
    tags: ['live'],
    parameters: [
      {
        name: 'input',
        in: 'query',
        required: true,
        description: "The subscription's input as JSON, URL-encoded.",
        content: { 'application/json': { schema: input } },
      },
      {
        name: 'Last-Event-ID',
        in: 'header',
        required: false,
        description:
          'The id of the last event received: the stream replays every change after it ' +
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
