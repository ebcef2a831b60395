import type { Context, TrellisErrorData } from '@trellis/api';
import {
  type AnyTRPCRouter,
  callTRPCProcedure,
  getTRPCErrorFromUnknown,
  getTRPCErrorShape,
} from '@trpc/server';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { lazy } from '../lazy.js';
import type { RequestContexts } from '../request-context.js';
import { queryValidators } from '../trpc/etag.js';
import { utf8Text } from '../trpc/utf8-body.js';
import { handleRestFrameworkError, sendRestError } from './errors.js';
import { allowedMethods } from './methods.js';
import { inputJsonSchema, propertiesOf, type ResolvedRoute } from './procedures.js';
import { type QueryString, queryCoercer } from './query.js';
import { fastifyPath } from './routes.js';

/** What the REST routes need from the server. */
export interface RestHandlerOptions {
  router: AnyTRPCRouter;
  routes: readonly ResolvedRoute[];
  /** The same context factory /trpc uses: auth, origin checks, idempotency keys. */
  contexts: RequestContexts;
}

/** A request the route refuses before its procedure runs, answered as a field error. */
class InputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Path parameters, then the query string (GET) or JSON body, as the procedure's input. */
function inputReader(route: ResolvedRoute) {
  if (!route.input) return () => undefined;
  const coerce = lazy(() => queryCoercer(propertiesOf(inputJsonSchema(route))));
  return (request: FastifyRequest): Record<string, unknown> => {
    const params = request.params as Record<string, string>;
    let rest: Record<string, unknown>;
    if (route.method === 'GET') {
      rest = coerce()(request.query as QueryString);
    } else if (request.body === undefined || request.body === null) {
      rest = {};
    } else if (isPlainObject(request.body)) {
      rest = request.body;
    } else {
      throw new InputError('', 'The body must be a JSON object');
    }
    const input: Record<string, unknown> = { ...rest };
    for (const name of route.params) {
      if (name in rest) {
        const where = route.method === 'GET' ? 'query string' : 'body';
        throw new InputError(name, `Given by the URL path; leave it out of the ${where}`);
      }
      input[name] = params[name];
    }
    return input;
  };
}

/** Answers a procedure's error as tRPC would (status, message, field errors), REST-shaped. */
function sendProcedureError(
  router: AnyTRPCRouter,
  route: ResolvedRoute,
  cause: unknown,
  call: { input: unknown; ctx: Context | undefined; request: FastifyRequest; reply: FastifyReply },
) {
  const error = getTRPCErrorFromUnknown(cause);
  if (error.code === 'INTERNAL_SERVER_ERROR') {
    call.request.log.error(
      { err: error.cause ?? error, path: route.procedure },
      'procedure failed',
    );
  }
  const shape = getTRPCErrorShape({
    config: router._def._config,
    error,
    type: route.type,
    path: route.procedure,
    input: call.input,
    ctx: call.ctx,
  }) as { message: string; data: TrellisErrorData };
  const { httpStatus, fieldErrors, code } = shape.data;
  return sendRestError(call.reply, httpStatus, shape.message, fieldErrors, code);
}

/**
 * A query's 200, validated like /trpc's (etag.ts): an ETag per answer and caller, and 304
 * without a body when `If-None-Match` names it.
 */
function sendQueryAnswer(request: FastifyRequest, reply: FastifyReply, data: unknown) {
  const text = JSON.stringify(data);
  const { headers, notModified } = queryValidators(request, text);
  reply.headers(headers);
  if (notModified) return reply.code(304).send();
  return reply.code(200).type('application/json; charset=utf-8').send(text);
}

function serve(
  router: AnyTRPCRouter,
  route: ResolvedRoute,
  contexts: RequestContexts,
): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> {
  const readInput = inputReader(route);
  return async (request, reply) => {
    let input: unknown;
    let ctx: Context | undefined;
    try {
      input = readInput(request);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      const fieldErrors = { [error.field]: [error.message] };
      return sendRestError(reply, 400, `Invalid input: ${error.message}`, fieldErrors);
    }
    try {
      ctx = contexts.create(request, reply);
      const data: unknown = await callTRPCProcedure({
        router,
        path: route.procedure,
        type: route.type,
        ctx,
        getRawInput: async () => input,
        signal: undefined,
        batchIndex: 0,
      });
      return route.method === 'GET'
        ? sendQueryAnswer(request, reply, data)
        : reply.status(route.status).send(data);
    } catch (cause) {
      return sendProcedureError(router, route, cause, { input, ctx, request, reply });
    }
  };
}

/**
 * Serves the routes inside the scope it is registered in (prefix `/api/v1`). JSON is the
 * only body type: anything else is 415, like /trpc. A known path asked with another method
 * answers 405 with `Allow`; unknown paths 404, both in the REST error shape.
 */
export async function restRoutesPlugin(
  scope: FastifyInstance,
  { router, routes, contexts }: RestHandlerOptions,
): Promise<void> {
  const jsonParser = scope.getDefaultJsonParser('error', 'error');
  scope.removeAllContentTypeParsers();
  // An empty JSON body is no body (e.g. POST /projects/{id}/archive with a content type).
  scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      text = utf8Text(body as Buffer);
    } catch (error) {
      done(error as Error, undefined);
      return;
    }
    if (text === '') done(null, undefined);
    else jsonParser(request, text, done);
  });
  scope.setErrorHandler(handleRestFrameworkError);
  const allowed = allowedMethods(routes);
  scope.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const allow = allowed(path.slice(scope.prefix.length));
    if (allow) {
      reply.header('allow', allow.join(', '));
      return sendRestError(
        reply,
        405,
        `${request.method.slice(0, 20)} is not served here; this path serves ${allow.join(', ')}`,
      );
    }
    return sendRestError(reply, 404, `No route for ${request.method} ${path.slice(0, 200)}`);
  });
  for (const route of routes) {
    scope.route({
      method: route.method,
      url: fastifyPath(route.path),
      handler: serve(router, route, contexts),
    });
  }
}
