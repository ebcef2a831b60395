import type { AnyTRPCRouter } from '@trpc/server';
import type { FastifyInstance } from 'fastify';
import { lazy } from '../lazy.js';
import type { RequestContexts } from '../request-context.js';
import { DOCS_CSP, renderDocsPage } from './docs.js';
import { restRoutesPlugin } from './handler.js';
import { buildOpenApiDocument } from './openapi.js';
import { resolveRoutes } from './procedures.js';
import { REST_ROUTES } from './routes.js';

/** What the REST API is served from. */
export interface RestApiOptions {
  router: AnyTRPCRouter;
  /** The context factory /trpc uses, so both transports run the procedures alike. */
  contexts: RequestContexts;
}

/**
 * Serves, under the prefix it is registered with (`/api`): the REST routes at `/v1/...`,
 * the OpenAPI document at `/openapi.json` and its reference page at `/docs`. The document
 * and page are built on their first request, then kept: building them at startup cost
 * ~20 ms of a ~400 ms cold start (docs/performance.md) for pages few processes serve.
 */
export async function restApiPlugin(
  scope: FastifyInstance,
  { router, contexts }: RestApiOptions,
): Promise<void> {
  const routes = resolveRoutes(router, REST_ROUTES);
  const document = lazy(() => buildOpenApiDocument(routes));
  const documentJson = lazy(() => JSON.stringify(document()));
  const page = lazy(() => renderDocsPage(document()));
  scope.get('/openapi.json', (_request, reply) =>
    reply.type('application/json; charset=utf-8').send(documentJson()),
  );
  scope.get('/docs', (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', DOCS_CSP)
      .header('x-content-type-options', 'nosniff')
      .send(page()),
  );
  await scope.register(restRoutesPlugin, { prefix: '/v1', router, routes, contexts });
}
