import { outputs } from '@trellis/api';
import { SESSION_COOKIE } from '@trellis/auth';
import { z } from 'zod';
import { restErrorSchema } from './errors.js';
import { ERROR_EXAMPLES, REST_EXAMPLES } from './examples.js';
import {
  inputJsonSchema,
  type JsonSchema,
  propertiesOf,
  type ResolvedRoute,
  requiredOf,
} from './procedures.js';
import { REST_TAGS } from './routes.js';

// The OpenAPI 3.1 document of the REST routes, generated from the route table and the
// procedures' own zod schemas (zod writes JSON Schema 2020-12, which is OpenAPI 3.1's
// schema dialect). Shared shapes become components, referenced by name.

/** An OpenAPI 3.1 document (checked by a real validator in openapi.test.ts). */
export type OpenApiDocument = Record<string, unknown> & {
  openapi: '3.1.0';
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, JsonSchema> } & Record<string, unknown>;
};

/** A path, query or header parameter. */
export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: JsonSchema;
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
function componentRegistry() {
  const registry = z.registry<{ id?: string; format?: string; description?: string }>();
  registry.add(outputs.zTimestamp, { format: 'date-time' });
  const named: [z.ZodType, string][] = [
    [outputs.userOutput, 'User'],
    [outputs.sessionOutput, 'Session'],
    [outputs.workspaceOutput, 'Workspace'],
    [outputs.memberOutput, 'Member'],
    [outputs.inviteOutput, 'Invite'],
    [outputs.apiTokenOutput, 'ApiToken'],
    [outputs.projectOutput, 'Project'],
    [outputs.taskOutput, 'Task'],
    [outputs.commentOutput, 'Comment'],
    [outputs.activityOutput, 'ActivityEntry'],
    [outputs.statsOutput, 'StatsOverview'],
    [outputs.okOutput, 'Ok'],
    [restErrorSchema, 'Error'],
  ];
  for (const [schema, id] of named) registry.add(schema, { id });
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

const ERROR_RESPONSES = {
  400: ['BadRequest', 'Invalid input; `fieldErrors` maps each field path to its problems.'],
  401: ['Unauthorized', 'No valid session or token.'],
  403: [
    'Forbidden',
    'The role does not allow it, a read-only token, or a cross-origin cookie request.',
  ],
  404: ['NotFound', 'Not found, or in a workspace the caller is not a member of.'],
  409: [
    'Conflict',
    'A duplicate, a stale `expectedVersion`, or the first request with this `Idempotency-Key` still running.',
  ],
  422: ['UnprocessableContent', 'This `Idempotency-Key` was sent with another request.'],
  413: ['PayloadTooLarge', 'The body is over the size limit.'],
  415: ['UnsupportedMediaType', 'The body is not `application/json`.'],
  429: ['TooManyRequests', 'Rate limit hit; retry after `Retry-After` seconds.'],
  503: [
    'ServiceUnavailable',
    'Cannot be done now: the database cannot write (disk full, read-only storage), or the ' +
      'procedure sends mail and this server has none (no `SMTP_URL`, in production).',
  ],
} as const;

function errorResponses(route: ResolvedRoute): Record<string, { $ref: string }> {
  const statuses: (keyof typeof ERROR_RESPONSES)[] = [400];
  if (!route.public) statuses.push(401, 403);
  if (route.params.length > 0 || route.notFound) statuses.push(404);
  const idempotent = route.method !== 'GET' && !route.public;
  if (route.conflicts || idempotent) statuses.push(409);
  if (idempotent) statuses.push(422);
  // Writes: reads keep working when storage cannot write.
  if (route.method !== 'GET') statuses.push(413, 415, 503);
  if (route.rateLimited) statuses.push(429);
  return Object.fromEntries(
    statuses.map((status) => [
      String(status),
      { $ref: `#/components/responses/${ERROR_RESPONSES[status][0]}` },
    ]),
  );
}

/** Builds the document; `toSchema` collects the components every schema refers to. */
export function buildOpenApiDocument(routes: readonly ResolvedRoute[]): OpenApiDocument {
  const registry = componentRegistry();
  const schemas: Record<string, JsonSchema> = {};
  const toSchema = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
    const { $schema: _, $defs, ...rest } = z.toJSONSchema(schema, { io, metadata: registry });
    for (const [id, def] of Object.entries(($defs ?? {}) as Record<string, unknown>)) {
      schemas[id] ??= relink(def) as JsonSchema;
    }
    return relink(rest) as JsonSchema;
  };
  const errorSchema = toSchema(restErrorSchema, 'output');

  const paths: OpenApiDocument['paths'] = {};
  for (const route of routes) {
    const example = REST_EXAMPLES[route.procedure];
    const input = route.input
      ? (relink(inputJsonSchema(route, registry)) as JsonSchema)
      : undefined;
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
      for (const [name, schema] of Object.entries(bodyProperties)) {
        const nullable = JSON.stringify(schema).includes('"null"');
        parameters.push({
          name,
          in: 'query',
          required: bodyRequired.includes(name),
          schema,
          ...(nullable ? { description: 'An empty value stands for null.' } : {}),
        });
      }
    }
    if (route.method !== 'GET' && !route.public) {
      parameters.push({ $ref: '#/components/parameters/IdempotencyKey' });
    }
    const operation: OpenApiOperation = {
      operationId: route.procedure,
      summary: route.summary,
      description: `The tRPC ${route.type} \`${route.procedure}\` over REST.`,
      tags: [route.tag],
      ...(parameters.length > 0 ? { parameters } : {}),
      responses: {
        [String(route.status)]: {
          description: route.status === 201 ? 'Created' : 'OK',
          content: {
            'application/json': {
              schema: toSchema(route.output, 'output'),
              ...(example?.response === undefined ? {} : { example: example.response }),
            },
          },
        },
        ...errorResponses(route),
        default: { $ref: '#/components/responses/InternalServerError' },
      },
      ...(route.public ? { security: [] } : {}),
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
    paths[route.path] ??= {};
    (paths[route.path] as Record<string, OpenApiOperation>)[route.method.toLowerCase()] = operation;
  }

  const response = (status: number, description: string) => ({
    description,
    content: {
      'application/json': { schema: errorSchema, example: ERROR_EXAMPLES[status] },
    },
  });
  const responses: Record<string, unknown> = Object.fromEntries(
    Object.entries(ERROR_RESPONSES).map(([status, [name, description]]) => [
      name,
      response(Number(status), description),
    ]),
  );
  responses.TooManyRequests = {
    ...response(429, ERROR_RESPONSES[429][1]),
    headers: {
      'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer', minimum: 0 } },
    },
  };
  responses.InternalServerError = response(500, 'A bug: never an answer to client input.');

  return {
    openapi: '3.1.0',
    info: {
      title: 'Trellis API',
      version: '1.0.0',
      description:
        'REST face of the Trellis tRPC procedures (`/trpc`): the same procedures, checks and ' +
        'errors. Path parameters and the query string (GET) or JSON body form the ' +
        "procedure's input. Errors answer `{error: {code, message, fieldErrors?}}` with " +
        "tRPC's HTTP status. Mutations accept an `Idempotency-Key` header.",
    },
    servers: [{ url: '/api/v1' }],
    tags: Object.entries(REST_TAGS).map(([name, description]) => ({ name, description })),
    security: [{ bearerAuth: [] }, { cookieAuth: [] }],
    paths,
    components: {
      schemas,
      responses,
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
