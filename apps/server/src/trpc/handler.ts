import type { AnyTRPCRouter, inferRouterContext, TRPCError, TRPCProcedureType } from '@trpc/server';
import { fastifyTRPCPlugin } from '@trpc/server/adapters/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { validateAdapterQueries } from './fetch-responses.js';
import { createLeanHandler } from './lean-handler.js';
import { JSON_TYPE, mediaType } from './media.js';
import { refuseUnservedMethods } from './request-checks.js';
import { checkedUtf8Stream, utf8Text } from './utf8-body.js';

/** Which tRPC HTTP handler serves `/trpc`: the lean one, or tRPC's own Fastify adapter. */
export type TrpcHandlerKind = 'lean' | 'official';

/** What either handler needs: a subset of the official adapter's `trpcOptions`. */
export interface TrpcOptions<TRouter extends AnyTRPCRouter> {
  router: TRouter;
  /** Builds the procedures' context; called once per HTTP request, batches included. */
  createContext(opts: {
    req: FastifyRequest;
    res: FastifyReply;
  }): inferRouterContext<TRouter> | Promise<inferRouterContext<TRouter>>;
  /** Called for every failed call, as the official adapter's `onError`. */
  onError?(opts: {
    error: TRPCError;
    type: TRPCProcedureType | 'unknown';
    path: string | undefined;
    input: unknown;
    ctx: inferRouterContext<TRouter> | undefined;
    req: FastifyRequest;
  }): void;
  /** Batches longer than this are refused (400, as tRPC does). */
  maxBatchSize?: number;
}

/** Options of {@link trpcHandler}. */
export interface TrpcHandlerOptions<TRouter extends AnyTRPCRouter> {
  handler: TrpcHandlerKind;
  trpcOptions: TrpcOptions<TRouter>;
}

/**
 * Serves tRPC at `<scope prefix>/:path` with the chosen handler; both answer alike, and a
 * query's answer from either carries an ETag. Register it inside the scope whose prefix is
 * the tRPC endpoint (e.g. `/trpc`).
 */
export async function trpcHandler<TRouter extends AnyTRPCRouter>(
  scope: FastifyInstance,
  { handler, trpcOptions }: TrpcHandlerOptions<TRouter>,
): Promise<void> {
  refuseUnservedMethods(scope);
  validateAdapterQueries(scope);
  if (handler === 'official') {
    // Its JSON parser decodes bad UTF-8 to U+FFFD; the body is checked on its way in.
    scope.addHook('preParsing', (request, _reply, payload, done) => {
      const type = request.headers['content-type'];
      done(
        null,
        type !== undefined && mediaType(type) === JSON_TYPE ? checkedUtf8Stream(payload) : payload,
      );
    });
    await scope.register(fastifyTRPCPlugin, { trpcOptions });
    return;
  }
  // The same body parsers the official plugin installs: JSON arrives as a string (tRPC
  // parses it, so a bad body is a tRPC error, not Fastify's), multipart as the raw stream;
  // but a body that is not UTF-8 is refused (400) rather than decoded to U+FFFD.
  scope.removeContentTypeParser('application/json');
  scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => {
    try {
      done(null, utf8Text(body as Buffer));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  scope.removeContentTypeParser('multipart/form-data');
  scope.addContentTypeParser('multipart/form-data', {}, (_req, body, done) => {
    done(null, body);
  });
  const handle = createLeanHandler(trpcOptions);
  // Not an async route: Fastify would take the settled promise for "the handler returned
  // nothing" and send a second reply while the first is still in its onSend hooks.
  scope.all<{ Params: { path: string } }>('/:path', (request, reply) => {
    handle(request, reply).catch((error: unknown) => reply.send(error));
  });
}
