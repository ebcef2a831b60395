import { Validator } from '@seriousme/openapi-schema-validator';
import { appRouter, procedureSchemas } from '@trellis/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { escapeHtml, renderDocsPage } from '../src/rest/docs.js';
import { REST_EXAMPLES } from '../src/rest/examples.js';
import { buildOpenApiDocument, type OpenApiDocument } from '../src/rest/openapi.js';
import { resolveRoutes } from '../src/rest/procedures.js';
import { REST_ROUTES } from '../src/rest/routes.js';
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

function operations(doc: OpenApiDocument) {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
  );
}

describe('GET /api/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    expect(document.openapi).toBe('3.1.0');
    const result = await new Validator().validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('has one operation for every query and mutation, and none for subscriptions', () => {
    const procedures = Object.entries(
      appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>,
    );
    const served = procedures
      .filter(([, p]) => p._def.type !== 'subscription')
      .map(([path]) => path);
    const ids = operations(document).map(({ operation }) => operation.operationId);
    expect([...ids].sort()).toEqual([...served].sort());
    expect(new Set(ids).size).toBe(ids.length);
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
    for (const { method, operation } of operations(document)) {
      expect(operation.responses['503'] !== undefined, `${method} ${operation.operationId}`).toBe(
        method !== 'get',
      );
    }
  });

  it('publishes outputs as the procedures answer them: Task has exactly taskOutput keys', () => {
    const task = document.components.schemas.Task as { properties: object; required: string[] };
    const output = procedureSchemas(appRouter).get('tasks.get')?.output as z.ZodObject | undefined;
    const keys = Object.keys(output?.shape ?? {});
    expect(keys).toContain('id');
    expect(Object.keys(task.properties)).toEqual(keys);
    expect(task.required).toEqual(keys);
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

describe('GET /api/docs', () => {
  it('serves a self-contained page listing every operation', async () => {
    const response = await fetch(`${server.url}/api/docs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await response.text();
    for (const { path, method, operation } of operations(document)) {
      expect(html).toContain(`id="${operation.operationId}"`);
      expect(html).toContain(
        `<span class="method ${method}">${method}</span> <code>${escapeHtml(path)}</code>`,
      );
    }
    expect(html).not.toMatch(/<script|<link|\bsrc=|https?:\/\//i);
  });

  it('escapes every text it takes from the document', () => {
    const hostile = '<script>alert(1)</script>"\'&';
    const doc = buildOpenApiDocument(routes);
    const first = Object.values(Object.values(doc.paths)[0] ?? {})[0];
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
