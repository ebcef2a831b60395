import { Validator } from '@seriousme/openapi-schema-validator';
import {
  appRouter,
  isRateLimited,
  procedureSchemas,
  RATE_LIMITED_PROCEDURES,
  TRELLIS_ERROR_CODES,
} from '@trellis/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { ATTACHMENT_OPERATION_IDS } from '../src/attachments/openapi.js';
import { UPLOAD_OPERATION_IDS } from '../src/imports-openapi.js';
import { escapeHtml, renderDocsPage } from '../src/rest/docs.js';
import { REST_EXAMPLES } from '../src/rest/examples.js';
import { resolveFeeds } from '../src/rest/live-feed.js';
import { buildOpenApiDocument, type OpenApiDocument, operationsOf } from '../src/rest/openapi.js';
import { resolveRoutes } from '../src/rest/procedures.js';
import { REST_ROUTES } from '../src/rest/routes.js';
import { routeStatuses } from '../src/rest/statuses.js';
import { startTestServer, type TestServer } from './support/server.js';

let server: TestServer;
let document: OpenApiDocument;

beforeAll(async () => {
  server = await startTestServer();
  const response = await fetch(`${server.url}/api/openapi.json`);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  document = (await response.json()) as OpenApiDocument;
});

afterAll(async () => {
  await server.close();
});

const routes = resolveRoutes(appRouter, REST_ROUTES);
// The procedures' operations; the upload routes (imports-openapi.ts) have their own test.
const operations = (doc: OpenApiDocument) =>
  operationsOf(doc).filter(
    ({ operation }) => !UPLOAD_OPERATION_IDS.includes(String(operation.operationId)),
  );

/** A response of `components.responses`, by name. */
function sharedResponse(name: string): { headers?: object; description?: string } {
  const responses = document.components.responses as
    | Record<string, { headers?: object; description?: string }>
    | undefined;
  return responses?.[name] ?? {};
}

describe('GET /api/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    expect(document.openapi).toBe('3.1.0');
    const result = await new Validator().validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('has one operation for every procedure: queries and mutations over REST, subscriptions as event streams', () => {
    const procedures = [...procedureSchemas(appRouter).keys()];
    const ids = operations(document).map(({ operation }) => operation.operationId);
    expect([...ids].sort()).toEqual([...procedures].sort());
    expect(new Set(ids).size).toBe(ids.length);
    const feed = operations(document).find(
      ({ operation }) => operation.operationId === 'tasks.onChange',
    );
    expect(feed).toMatchObject({ path: '/tasks.onChange', method: 'get', base: '/trpc' });
  });

  it('declares the auth schemes, the error shape and examples of the main task operations', () => {
    expect(document.components).toMatchObject({
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer' },
        cookieAuth: { type: 'apiKey', in: 'cookie', name: 'trellis_session' },
      },
      schemas: {
        Error: {
          properties: { error: { required: ['code', 'message'] } },
        },
      },
    });
    const create = document.paths['/projects/{projectId}/tasks']?.post;
    expect(create?.requestBody?.content['application/json']?.example).toEqual(
      REST_EXAMPLES['tasks.create']?.request,
    );
    expect(create?.responses['201']).toMatchObject({
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Task' } } },
    });
    expect(create?.responses['400']).toEqual({ $ref: '#/components/responses/BadRequest' });
    const signUp = document.paths['/auth/sign-up']?.post;
    expect(signUp?.security).toEqual([]);
  });

  it('documents 503 on every write (storage that cannot write; mail procedures without SMTP_URL), never on reads', () => {
    const resetRequest = document.paths['/auth/request-password-reset']?.post;
    expect(resetRequest?.responses['503']).toEqual({
      $ref: '#/components/responses/ServiceUnavailable',
    });
    expect(sharedResponse('ServiceUnavailable')).toMatchObject({
      description: expect.stringMatching(/SMTP_URL/),
    });
    expect(document.paths['/tasks/{taskId}']?.delete?.responses['503']).toEqual({
      $ref: '#/components/responses/ServiceUnavailable',
    });
    for (const { method, operation, base } of operations(document)) {
      if (base !== '/api/v1') continue;
      expect(operation.responses['503'] !== undefined, `${method} ${operation.operationId}`).toBe(
        method !== 'get',
      );
    }
  });

  it('publishes outputs as the procedures answer them: Task has exactly taskOutput keys', () => {
    for (const [name, procedure] of [
      ['Task', 'tasks.create'],
      ['TaskDetail', 'tasks.get'],
    ] as const) {
      const task = document.components.schemas[name] as { properties: object; required: string[] };
      const output = procedureSchemas(appRouter).get(procedure)?.output as z.ZodObject | undefined;
      const keys = Object.keys(output?.shape ?? {});
      expect(keys).toContain('id');
      expect(Object.keys(task.properties)).toEqual(keys);
      expect(task.required).toEqual(keys);
    }
  });

  it('documents list filters as query parameters, arrays as repeated keys', () => {
    const list = document.paths['/workspaces/{workspaceId}/tasks']?.get;
    const status = list?.parameters?.find((p) => 'name' in p && p.name === 'status');
    expect(status).toMatchObject({ in: 'query', required: false, schema: { type: 'array' } });
    expect(list?.requestBody).toBeUndefined();
  });

  it('shows examples that the procedures themselves accept and answer', () => {
    for (const route of routes) {
      const example = REST_EXAMPLES[route.procedure];
      if (!example) continue;
      if (example.request) {
        const params = Object.fromEntries(
          route.params.map((name) => [name, 'Pz8xC5vB2nM4lK7jH1gF6d']),
        );
        expect(route.input?.safeParse({ ...example.request, ...params }).error).toBeUndefined();
      }
      if (example.response !== undefined) {
        const parsed = route.output.safeParse(example.response);
        expect(parsed.error).toBeUndefined();
        // Nothing in the example that the schema would strip.
        expect(parsed.data).toEqual(example.response);
      }
    }
  });

  it('refuses to build from a route whose procedure does not exist', () => {
    const broken = [{ ...REST_ROUTES[0], procedure: 'tasks.nope' } as (typeof REST_ROUTES)[number]];
    expect(() => buildOpenApiDocument(resolveRoutes(appRouter, broken))).toThrow(/tasks\.nope/);
  });
});

describe('the statuses each operation lists', () => {
  const restOperations = () => operations(document).filter(({ base }) => base === '/api/v1');
  const responsesOf = (procedure: string) => {
    const found = operations(document).find(({ operation }) => operation.operationId === procedure);
    if (!found) throw new Error(`no operation ${procedure}`);
    return found.operation.responses as Record<string, { $ref?: string; headers?: object }>;
  };

  it('is exactly the success, what statuses.ts derives from the procedure, and default', () => {
    for (const route of routes) {
      const expected = [
        String(route.status),
        ...routeStatuses(route, { rateLimited: isRateLimited(route.procedure) }).map(String),
        'default',
      ];
      expect(Object.keys(responsesOf(route.procedure)).sort(), route.procedure).toEqual(
        expected.sort(),
      );
    }
    expect(restOperations()).toHaveLength(routes.length);
  });

  it("lists sign-in's 401 (wrong password), 403 (foreign Origin) and 429 with its headers", () => {
    const signIn = responsesOf('auth.signIn');
    expect(Object.keys(signIn)).toEqual(
      expect.arrayContaining(['200', '400', '401', '403', '429', 'default']),
    );
    expect(JSON.stringify(signIn['401'])).toMatch(/wrong email or password/);
    expect(signIn['429']).toEqual({ $ref: '#/components/responses/TooManyRequests' });
    expect(Object.keys(document.components.responses as object)).toContain('TooManyRequests');
    const tooMany = (document.components.responses as Record<string, { headers: object }>)
      .TooManyRequests;
    expect(Object.keys(tooMany?.headers ?? {}).sort()).toEqual(
      ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'Retry-After'].sort(),
    );
  });

  it('lists 429 on exactly the rate-limited procedures, with RateLimit-* on the answers given after counting', () => {
    const counters = ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'];
    const headersOf = (response: { headers?: object; $ref?: string }) =>
      Object.keys(
        (response.$ref ? sharedResponse(response.$ref.split('/').pop() ?? '') : response).headers ??
          {},
      );
    for (const { operation } of restOperations()) {
      const limited = (RATE_LIMITED_PROCEDURES as readonly string[]).includes(
        operation.operationId,
      );
      const responses = operation.responses as Record<string, { headers?: object; $ref?: string }>;
      expect('429' in responses, operation.operationId).toBe(limited);
      if (!limited) continue;
      const own = new Set(
        REST_ROUTES.find((route) => route.procedure === operation.operationId)?.answers ?? [],
      );
      for (const [status, response] of Object.entries(responses)) {
        if (status === 'default') continue;
        const counted =
          status.startsWith('2') || status === '429' || own.has(Number(status) as never);
        const listed = headersOf(response);
        expect(
          counters.every((name) => listed.includes(name)),
          `${operation.operationId} ${status}`,
        ).toBe(counted);
      }
    }
  });

  it('lists 304 on every read, whose 200 carries the ETag', () => {
    for (const { method, operation } of restOperations()) {
      const responses = operation.responses as Record<string, { headers?: object }>;
      expect('304' in responses, operation.operationId).toBe(method === 'get');
      if (method === 'get') expect(Object.keys(responses['200']?.headers ?? {})).toContain('ETag');
    }
  });

  it('never calls a real answer a bug: default is for unexpected failures only', () => {
    expect(JSON.stringify(document)).not.toMatch(/\bbug\b/i);
    for (const { operation } of operations(document)) {
      expect(operation.responses.default).toEqual({ $ref: '#/components/responses/Unexpected' });
    }
  });

  it('says on every REST path which methods it serves, for the 405 the others get', () => {
    for (const [path, item] of Object.entries(document.paths)) {
      if (item.servers) continue;
      const ids = ['get', 'post'].map((m) => item[m as 'get' | 'post']?.operationId);
      if (ids.some((id) => id !== undefined && UPLOAD_OPERATION_IDS.includes(id))) continue;
      const methods = ['get', 'post', 'patch', 'delete'].filter((m) => m in item);
      const allow = /`Allow: ([A-Z, ]+)`/.exec(item.description ?? '')?.[1]?.split(', ');
      const expected = methods.flatMap((m) => (m === 'get' ? ['GET', 'HEAD'] : [m.toUpperCase()]));
      expect(new Set(allow), path).toEqual(new Set(expected));
    }
  });

  it('has one error-code enum, the TypeScript one, for REST errors and tRPC-shaped ones', () => {
    const schemas = document.components.schemas as Record<string, Record<string, unknown>>;
    expect(schemas.ErrorCode?.enum).toEqual([...TRELLIS_ERROR_CODES]);
    const ref = { $ref: '#/components/schemas/ErrorCode' };
    expect(schemas.Error).toMatchObject({ properties: { error: { properties: { code: ref } } } });
    expect(schemas.TrpcErrorShape).toMatchObject({
      properties: { data: { properties: { code: ref } } },
    });
    for (const code of ['NETWORK', 'NOT_TRELLIS'])
      expect(JSON.stringify(schemas)).not.toContain(code);
  });
});

describe('GET /api/docs', () => {
  it('serves a self-contained page listing every operation', async () => {
    const response = await fetch(`${server.url}/api/docs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await response.text();
    for (const { path, method, base, operation } of operations(document)) {
      expect(html).toContain(`id="${operation.operationId}"`);
      const shown = base === '/api/v1' ? path : `${base}${path}`;
      expect(html).toContain(
        `<span class="method ${method}">${method}</span> <code>${escapeHtml(shown)}</code>`,
      );
    }
    expect(html).toContain('<code>/trpc/tasks.onChange</code>');
    expect(html).toContain('<code>text/event-stream</code>');
    // Nothing loads from elsewhere (example bodies may name a URL as text: a webhook's).
    expect(html).not.toMatch(/<script|<link|\bsrc=|\bhref="?https?:|url\(/i);
  });

  it('escapes every text it takes from the document', () => {
    const hostile = '<script>alert(1)</script>"\'&';
    const doc = buildOpenApiDocument(routes, resolveFeeds(appRouter));
    const first = operations(doc)[0]?.operation;
    if (!first) throw new Error('no operation');
    first.summary = hostile;
    first.operationId = hostile;
    (doc.info as { title: string }).title = hostile;
    doc.components.schemas.Task = { description: `</pre>${hostile}` };
    const html = renderDocsPage(doc);
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;');
  });
});

describe('the upload routes in the OpenAPI document', () => {
  it('lists workspace export and import and the CSV task import, each answering a job or a stream', () => {
    // The attachment routes are listed there too; attachments.test.ts checks them.
    const uploads = operationsOf(document).filter(({ operation }) => {
      const id = String(operation.operationId);
      return UPLOAD_OPERATION_IDS.includes(id) && !ATTACHMENT_OPERATION_IDS.includes(id);
    });
    expect(uploads.map(({ method, path }) => `${method} ${path}`).sort()).toEqual([
      'get /workspaces/{workspaceId}/export',
      'post /workspaces/import',
      'post /workspaces/{workspaceId}/import/tasks.csv',
    ]);
    for (const { method, operation } of uploads) {
      const statuses = Object.keys(operation.responses);
      expect(statuses).toContain(method === 'get' ? '200' : '202');
      if (method === 'post') expect(statuses).toEqual(expect.arrayContaining(['413', '415']));
    }
  });
});
