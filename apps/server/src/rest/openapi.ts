import { isRateLimited, outputs } from '@trellis/api';
import { SESSION_COOKIE } from '@trellis/auth';
import { z } from 'zod';
import { attachmentPathItems } from '../attachments/openapi.js';
import { importPathItems } from '../imports-openapi.js';
import {
  ERROR_CODE_DESCRIPTION,
  restErrorSchema,
  trpcErrorSchema,
  trpcErrorShapeSchema,
  zErrorCode,
  zFieldErrors,
} from './errors.js';
import { REST_EXAMPLES } from './examples.js';
import { feedPathItem, type ResolvedFeed } from './live-feed.js';
import { allowedMethods } from './methods.js';
import {
  inputJsonSchema,
  type JsonSchema,
  propertiesOf,
  type ResolvedRoute,
  requiredOf,
} from './procedures.js';
import { NULL_WORD } from './query.js';
import {
  HEADER_COMPONENTS,
  QUERY_RESPONSE_HEADERS,
  RATE_LIMIT_RESPONSE_HEADERS,
  responseComponents,
  responseRef,
  SHARED_RESPONSES,
} from './responses.js';
import { REST_TAGS } from './routes.js';
import { routeStatuses } from './statuses.js';
import { addEventDiscriminators, eventComponents, webhookPathItems } from './webhook-events.js';

// The OpenAPI 3.1 document of the REST routes and the live feed, generated from the route
// table and the procedures' own zod schemas (zod writes JSON Schema 2020-12, which is
// OpenAPI 3.1's schema dialect). Shared shapes become components, referenced by name.

/** An OpenAPI 3.1 document (checked by two validators in openapi.test.ts and lint.test.ts). */
export type OpenApiDocument = Record<string, unknown> & {
  openapi: '3.1.0';
  paths: Record<string, OpenApiPathItem>;
  /** What Trellis sends to webhook endpoints, by event type (webhook-events.ts). */
  webhooks?: Record<string, OpenApiPathItem>;
  components: { schemas: Record<string, JsonSchema> } & Record<string, unknown>;
};

/** The methods operations are documented under, lower-case as OpenAPI spells them. */
export const OPERATION_METHODS = ['get', 'post', 'patch', 'delete'] as const;

/** A path's operations by method, and what the path says for all of them. */
export type OpenApiPathItem = {
  description?: string;
  /** Where the path is served when not under the document's `servers` (the live feed). */
  servers?: { url: string }[];
} & { [M in (typeof OPERATION_METHODS)[number]]?: OpenApiOperation };

/** One operation of a document, with its path, method and base URL. */
export interface LocatedOperation {
  path: string;
  method: (typeof OPERATION_METHODS)[number];
  /** The server URL the path is relative to: `/api/v1`, or `/trpc` for the live feed. */
  base: string;
  operation: OpenApiOperation;
}

/** Every operation of `document`, in document order. */
export function operationsOf(document: OpenApiDocument): LocatedOperation[] {
  const defaultBase = (document.servers as { url: string }[] | undefined)?.[0]?.url ?? '';
  return Object.entries(document.paths).flatMap(([path, item]) =>
    OPERATION_METHODS.flatMap((method) => {
      const operation = item[method];
      if (!operation) return [];
      return [{ path, method, base: item.servers?.[0]?.url ?? defaultBase, operation }];
    }),
  );
}

/** The event deliveries of the `webhooks` section, as operations named by event type. */
export function webhookOperationsOf(document: OpenApiDocument): LocatedOperation[] {
  return Object.entries(document.webhooks ?? {}).flatMap(([type, item]) =>
    item.post ? [{ path: type, method: 'post' as const, base: '', operation: item.post }] : [],
  );
}

/** A path, query or header parameter. */
export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema?: JsonSchema;
  content?: Record<string, { schema: JsonSchema }>;
  description?: string;
}

/** The parts of an operation the docs page reads. */
export interface OpenApiOperation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  parameters?: (OpenApiParameter | { $ref: string })[];
  requestBody?: {
    required: boolean;
    content: Record<string, { schema: JsonSchema; example?: unknown }>;
  };
  responses: Record<string, unknown>;
  security?: unknown[];
}

/** Shapes published once under components.schemas, by name. */
function componentRegistry(feeds: readonly ResolvedFeed[]) {
  const registry = z.registry<{ id?: string; format?: string; description?: string }>();
  registry.add(outputs.zTimestamp, { format: 'date-time' });
  const named: (readonly [z.ZodType, string])[] = [
    [outputs.userOutput, 'User'],
    [outputs.sessionOutput, 'Session'],
    [outputs.workspaceOutput, 'Workspace'],
    [outputs.memberOutput, 'Member'],
    [outputs.inviteOutput, 'Invite'],
    [outputs.apiTokenOutput, 'ApiToken'],
    [outputs.projectOutput, 'Project'],
    [outputs.taskOutput, 'Task'],
    [outputs.taskDetailOutput, 'TaskDetail'],
    [outputs.commentOutput, 'Comment'],
    [outputs.activityOutput, 'ActivityEntry'],
    [outputs.webhookOutput, 'Webhook'],
    [outputs.webhookSecretOutput, 'WebhookSecret'],
    [outputs.webhookDeliveryOutput, 'WebhookDelivery'],
    ...eventComponents(),
    [outputs.statsOutput, 'StatsOverview'],
    [outputs.okOutput, 'Ok'],
    [restErrorSchema, 'Error'],
    [trpcErrorSchema, 'TrpcError'],
    [trpcErrorShapeSchema, 'TrpcErrorShape'],
    ...feeds.map((feed): [z.ZodType, string] => [feed.event, feed.component]),
  ];
  for (const [schema, id] of named) registry.add(schema, { id });
  registry.add(zErrorCode, { id: 'ErrorCode', description: ERROR_CODE_DESCRIPTION });
  registry.add(zFieldErrors, {
    description:
      'Each invalid input field (a dotted path; empty for the input as a whole) and its problems.',
  });
  return registry;
}

/** Rewrites zod's local `#/$defs/X` references to `#/components/schemas/X`. */
function relink(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(relink);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) =>
      key === '$ref' && typeof inner === 'string'
        ? [key, inner.replace(/^#\/\$defs\//, '#/components/schemas/')]
        : [key, relink(inner)],
    ),
  );
}

const isNullSchema = (schema: unknown) =>
  typeof schema === 'object' && schema !== null && (schema as JsonSchema).type === 'null';

/**
 * A nullable parameter as the query string carries it: null has no JSON there, and
 * generators drop a null value from the URL, so it is the word `none` (or an empty value).
 */
function queryParameterSchema(schema: JsonSchema): { schema: JsonSchema; nullable: boolean } {
  const { anyOf, ...rest } = schema;
  // One value or a list (tasks.list's assigneeId, label): published as the list, which a
  // query string carries as repeated keys; a single key is a list of one.
  const list = Array.isArray(anyOf)
    ? (anyOf as JsonSchema[]).find((alternative) => alternative.type === 'array')
    : undefined;
  if (list) {
    const items = queryParameterSchema((list.items ?? {}) as JsonSchema);
    return { schema: { ...list, items: items.schema }, nullable: items.nullable };
  }
  if (!Array.isArray(anyOf) || !anyOf.some(isNullSchema)) return { schema, nullable: false };
  const nullWord = {
    type: 'string',
    enum: [NULL_WORD, ''],
    description: `\`${NULL_WORD}\` (or an empty value) stands for null.`,
  };
  return {
    schema: { ...rest, anyOf: [...anyOf.filter((s) => !isNullSchema(s)), nullWord] },
    nullable: true,
  };
}

/** The responses of one route: its success, then every status statuses.ts derives. */
function routeResponses(route: ResolvedRoute, success: JsonSchema): Record<string, unknown> {
  const limited = isRateLimited(route.procedure);
  const read = route.method === 'GET';
  const example = REST_EXAMPLES[route.procedure]?.response;
  const successHeaders = {
    ...(read ? QUERY_RESPONSE_HEADERS : {}),
    ...(limited ? RATE_LIMIT_RESPONSE_HEADERS : {}),
  };
  const responses: Record<string, unknown> = {
    [String(route.status)]: {
      description: route.status === 201 ? 'Created' : 'OK',
      ...(Object.keys(successHeaders).length > 0 ? { headers: successHeaders } : {}),
      content: {
        'application/json': { schema: success, ...(example === undefined ? {} : { example }) },
      },
    },
  };
  // A limited procedure reports its counters on the answers given after it counted the
  // attempt: its success, its 429 and its own refusals (a wrong password); answers refused
  // before (invalid input, no session, a foreign Origin, a body too large) carry none.
  const counted = new Set<number>(route.answers ?? []);
  for (const status of routeStatuses(route, { rateLimited: limited })) {
    responses[String(status)] =
      limited && status !== 429 && counted.has(status)
        ? {
            description: SHARED_RESPONSES[status][1],
            headers: RATE_LIMIT_RESPONSE_HEADERS,
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/Error' } },
            },
          }
        : responseRef(status);
  }
  responses.default = { $ref: '#/components/responses/Unexpected' };
  return responses;
}

/** The operation of one REST route. */
function routeOperation(
  route: ResolvedRoute,
  input: JsonSchema | undefined,
  success: JsonSchema,
): OpenApiOperation {
  const example = REST_EXAMPLES[route.procedure];
  const properties = input ? propertiesOf(input) : {};
  const required = input ? requiredOf(input) : [];
  const parameters: NonNullable<OpenApiOperation['parameters']> = route.params.map((name) => ({
    name,
    in: 'path',
    required: true,
    schema: properties[name] ?? { type: 'string' },
  }));
  const bodyProperties = Object.fromEntries(
    Object.entries(properties).filter(([name]) => !route.params.includes(name)),
  );
  const bodyRequired = required.filter((name) => !route.params.includes(name));
  if (route.method === 'GET') {
    for (const [name, property] of Object.entries(bodyProperties)) {
      const { schema, nullable } = queryParameterSchema(property);
      parameters.push({
        name,
        in: 'query',
        required: bodyRequired.includes(name),
        schema,
        ...(nullable
          ? { description: `\`${NULL_WORD}\` (or an empty value) stands for null.` }
          : {}),
      });
    }
  }
  if (route.method !== 'GET' && route.access !== 'public') {
    parameters.push({ $ref: '#/components/parameters/IdempotencyKey' });
  }
  const operation: OpenApiOperation = {
    operationId: route.procedure,
    summary: route.summary,
    description: `The tRPC ${route.type} \`${route.procedure}\` over REST.`,
    tags: [route.tag],
    ...(parameters.length > 0 ? { parameters } : {}),
    responses: routeResponses(route, success),
    ...(route.access === 'public' ? { security: [] } : {}),
  };
  if (route.method !== 'GET' && Object.keys(bodyProperties).length > 0 && input) {
    const { $schema: _, ...body } = input;
    operation.requestBody = {
      required: bodyRequired.length > 0,
      content: {
        'application/json': {
          schema: { ...body, properties: bodyProperties, required: bodyRequired },
          ...(example?.request === undefined ? {} : { example: example.request }),
        },
      },
    };
  }
  return operation;
}

/** Builds the document; `toSchema` collects the components every schema refers to. */
export function buildOpenApiDocument(
  routes: readonly ResolvedRoute[],
  feeds: readonly ResolvedFeed[] = [],
): OpenApiDocument {
  const registry = componentRegistry(feeds);
  const schemas: Record<string, JsonSchema> = {};
  const collect = (raw: JsonSchema): JsonSchema => {
    const { $schema: _, $defs, ...rest } = raw;
    for (const [id, def] of Object.entries(($defs ?? {}) as Record<string, unknown>)) {
      schemas[id] ??= relink(def) as JsonSchema;
    }
    return relink(rest) as JsonSchema;
  };
  const toSchema = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema =>
    collect(z.toJSONSchema(schema, { io, metadata: registry }) as JsonSchema);
  const errorSchema = toSchema(restErrorSchema, 'output');
  const trpcError = toSchema(trpcErrorSchema, 'output');

  const paths: OpenApiDocument['paths'] = {};
  const allow = allowedMethods(routes);
  for (const route of routes) {
    const input = route.input ? collect(inputJsonSchema(route, registry)) : undefined;
    // A concrete path of the template, to ask what it allows.
    const methods = allow(route.path.replace(/\{\w+\}/g, 'x')) ?? [];
    const item = paths[route.path] ?? {
      description:
        `Another method answers 405 (\`METHOD_NOT_SUPPORTED\`, in the error shape) with ` +
        `the header \`Allow: ${methods.join(', ')}\`.`,
    };
    paths[route.path] = item;
    const method = route.method.toLowerCase() as (typeof OPERATION_METHODS)[number];
    item[method] = routeOperation(route, input, toSchema(route.output, 'output'));
  }
  for (const feed of feeds) {
    paths[`/${feed.procedure}`] = feedPathItem(
      feed,
      toSchema(feed.input, 'input'),
      toSchema(feed.event, 'output'),
    );
  }
  // The upload routes beside the procedures (workspace export and imports, CSV import).
  Object.assign(paths, importPathItems(toSchema));
  // Attachment uploads and downloads share paths with attachments.list / .delete: merged.
  for (const [path, item] of Object.entries(attachmentPathItems(toSchema))) {
    paths[path] = { ...paths[path], ...item };
  }
  const webhooks = webhookPathItems((schema) => toSchema(schema, 'output'));
  addEventDiscriminators(schemas);

  return {
    openapi: '3.1.0',
    info: {
      title: 'Trellis API',
      version: '1.0.0',
      description:
        'REST face of the Trellis tRPC procedures (`/trpc`): the same procedures, checks and ' +
        'errors. Path parameters and the query string (GET) or JSON body form the ' +
        "procedure's input. Errors answer `{error: {code, message, fieldErrors?}}` with " +
        "tRPC's HTTP status. Mutations accept an `Idempotency-Key` header. A known path " +
        'asked with a method it does not serve answers 405 with `Allow`; an unknown path, ' +
        '404. The live feeds (`tasks.onChange`, `notifications.onNew`) are served as ' +
        'server-sent events by the tRPC transport, at `/trpc`. `webhooks` lists every event Trellis POSTs to webhook ' +
        'endpoints, signed per Standard Webhooks; `events.list` serves the same events.',
    },
    servers: [{ url: '/api/v1' }],
    tags: [
      ...Object.entries(REST_TAGS).map(([name, description]) => ({ name, description })),
      { name: 'live', description: 'Live updates as server-sent events, on the tRPC transport.' },
      {
        name: 'webhookEvents',
        description:
          'What Trellis POSTs to webhook endpoints (the `webhooks` section), one operation per event type.',
      },
    ],
    security: [{ bearerAuth: [] }, { cookieAuth: [] }],
    paths,
    webhooks,
    components: {
      schemas,
      responses: responseComponents(errorSchema, trpcError),
      headers: HEADER_COMPONENTS,
      parameters: {
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description:
            'Makes a retried mutation answer its first result instead of running again ' +
            '(kept 24 hours per user or API token).',
          schema: { type: 'string', minLength: 1, maxLength: 255 },
        },
      },
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'A session token (from sign-up or sign-in) or an API token.',
        },
        cookieAuth: {
          type: 'apiKey',
          in: 'cookie',
          name: SESSION_COOKIE,
          description:
            'The browser session: `trellis_session` over plain-HTTP localhost, ' +
            '`__Host-trellis_session` over HTTPS; mutations must come from a trusted Origin.',
        },
      },
    },
  };
}
