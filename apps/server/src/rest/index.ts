import type { AnyTRPCRouter } from '@trpc/server';
import type { FastifyInstance } from 'fastify';
import { lazy } from '../lazy.js';
import type { RequestContexts } from '../request-context.js';
import { DOCS_CSP, renderDocsPage } from './docs.js';
import { sendRestError } from './errors.js';
import { restRoutesPlugin } from './handler.js';
import { resolveFeeds } from './live-feed.js';
import { buildOpenApiDocument } from './openapi.js';
import { resolveRoutes } from './procedures.js';
import { REST_ROUTES } from './routes.js';

/** What the REST API is served from. */
export interface RestApiOptions {
  router: AnyTRPCRouter;
  /** The context factory /trpc uses, so both transports run the procedures alike. */
  contexts: RequestContexts;
}

/** The document and its page: GET (and HEAD) only. */
const READ_ONLY_PATHS = ['/openapi.json', '/docs'];

/**
 * Serves, under the prefix it is registered with (`/api`): the REST routes at `/v1/...`,
 * the OpenAPI document at `/openapi.json` and its reference page at `/docs`. The document
 * and page are built on their first request, then kept: building them at startup cost
 * ~20 ms of a ~400 ms cold start (docs/performance.md) for pages few processes serve.
 * Every other answer under the prefix is in the REST error shape: 405 with `Allow` for
 * another method on the document or page, 404 for an unknown path.
 */
export async function restApiPlugin(
  scope: FastifyInstance,
  { router, contexts }: RestApiOptions,
): Promise<void> {
  const routes = resolveRoutes(router, REST_ROUTES);
  const feeds = resolveFeeds(router);
  const document = lazy(() => buildOpenApiDocument(routes, feeds));
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
  scope.setNotFoundHandler((request, reply) => {
    const path = (request.url.split('?')[0] ?? '').slice(scope.prefix.length);
    if (READ_ONLY_PATHS.includes(path)) {
      reply.header('allow', 'GET, HEAD');
      return sendRestError(
        reply,
        405,
        `${request.method.slice(0, 20)} is not served here; use GET`,
      );
    }
    return sendRestError(reply, 404, `No route for ${request.method} /api${path.slice(0, 200)}`);
  });
  await scope.register(restRoutesPlugin, { prefix: '/v1', router, routes, contexts });
}
