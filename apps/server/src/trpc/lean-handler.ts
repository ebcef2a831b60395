import {
  type AnyTRPCRouter,
  callTRPCProcedure,
  getTRPCErrorFromUnknown,
  getTRPCErrorShape,
  type inferRouterContext,
  TRPCError,
  type TRPCProcedureType,
} from '@trpc/server';
import { fastifyRequestHandler } from '@trpc/server/adapters/fastify';
import { getHTTPStatusCode } from '@trpc/server/http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isDataStream } from './data-stream.js';
import type { TrpcOptions } from './handler.js';
import { Inputs } from './inputs.js';
import { hostChecker } from './known-hosts.js';
import { sendJson } from './lean-reply.js';
import { type LeanScope, leanRequest } from './lean-request.js';
import { hasLazyRouters, procedureKinds } from './procedures.js';

// tRPC's HTTP protocol for queries and mutations on Fastify's request and reply directly.
// tRPC's adapter turns every request into a Fetch Request (URL, Headers, AbortController,
// body stream) and every answer into a streamed Response; for small JSON calls that costs
// about a third of the server's time. This handler answers exactly what the adapter answers
// (lean-handler.test.ts compares them), calls procedures through tRPC's public
// `callTRPCProcedure`, and hands every request it does not cover (lean-request.ts) to the
// adapter.

type Call =
  | { ok: true; data: unknown }
  | { ok: false; error: TRPCError; kind: TRPCProcedureType | undefined };

const streamRefused = () =>
  new TRPCError({
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'Cannot use stream-like response in non-streaming request - use httpBatchStreamLink',
  });

/** The request handler; what does not depend on the request is looked up here, once. */
export function createLeanHandler<TRouter extends AnyTRPCRouter>(
  options: TrpcOptions<TRouter>,
): (request: FastifyRequest<{ Params: { path: string } }>, reply: FastifyReply) => Promise<void> {
  const { router, createContext, onError, maxBatchSize } = options;
  const config = router._def._config;
  const scope: LeanScope = {
    kinds: procedureKinds(router),
    hasLazyRouters: hasLazyRouters(router),
    maxBatchSize,
    hostIsValid: hostChecker(),
  };
  const deserialize = (value: unknown) => config.transformer.input.deserialize(value);
  const serialize = (value: unknown) => config.transformer.output.serialize(value);

  const official = (request: FastifyRequest<{ Params: { path: string } }>, reply: FastifyReply) =>
    fastifyRequestHandler({ ...options, req: request, res: reply, path: request.params.path });

  return async function leanHandler(request, reply) {
    const lean = leanRequest(request, scope);
    if (lean === undefined) return official(request, reply);
    const { method, isBatch, paths, kinds, type } = lean;
    const count = paths.length;
    const inputs = new Inputs(lean.source, isBatch, count, deserialize);
    const accepted = method === 'GET' ? 'query' : 'mutation';

    let ctx: inferRouterContext<TRouter> | undefined;
    let ctxError: TRPCError | undefined;
    try {
      ctx = await createContext({ req: request, res: reply });
    } catch (cause) {
      ctxError = getTRPCErrorFromUnknown(cause);
    }

    const errorShape = (
      error: TRPCError,
      kind: TRPCProcedureType | 'unknown',
      path: string | undefined,
      input: unknown,
    ) => getTRPCErrorShape({ config, error, type: kind, path, input, ctx });

    const run = async (index: number): Promise<Call> => {
      const path = paths[index] as string;
      const kind = kinds[index];
      try {
        if (kind === undefined) {
          throw new TRPCError({
            code: 'NOT_FOUND',
            message: `No procedure found on path "${path}"`,
          });
        }
        if (kind !== accepted) {
          throw new TRPCError({
            code: 'METHOD_NOT_SUPPORTED',
            message: `Unsupported ${method}-request to ${kind} procedure at path "${path}"`,
          });
        }
        if (ctxError) throw ctxError;
        const data: unknown = await callTRPCProcedure({
          router,
          path,
          type: kind,
          ctx,
          getRawInput: () => inputs.read(index),
          // Only subscriptions (left to the adapter) watch for aborts.
          signal: undefined,
          batchIndex: index,
        });
        return { ok: true, data };
      } catch (cause) {
        const error = getTRPCErrorFromUnknown(cause);
        const input = inputs.result(index);
        onError?.({ error, path, input, ctx, type: kind ?? 'unknown', req: request });
        return { ok: false, error, kind };
      }
    };

    if (!isBatch) {
      const result = await run(0);
      let error: { error: ReturnType<typeof errorShape> };
      if (!result.ok) {
        error = { error: errorShape(result.error, type, lean.path, inputs.result(0)) };
      } else if (isDataStream(result.data)) {
        // tRPC raises this outside the call, so its answer carries no path.
        const refused = streamRefused();
        onError?.({ error: refused, path: undefined, input: undefined, ctx, type, req: request });
        error = { error: errorShape(refused, type, undefined, undefined) };
      } else {
        sendJson(reply, 200, { result: { data: serialize(result.data) } });
        return;
      }
      sendJson(reply, getHTTPStatusCode(error), { error: serialize(error.error) });
      return;
    }

    const pending = new Array<Promise<Call>>(count);
    for (let index = 0; index < count; index += 1) pending[index] = run(index);
    const results = await Promise.all(pending);
    const envelopes = new Array<
      { result: { data: unknown } } | { error: ReturnType<typeof errorShape> }
    >(count);
    for (let index = 0; index < count; index += 1) {
      const result = results[index] as Call;
      if (result.ok && !isDataStream(result.data)) {
        envelopes[index] = { result: { data: result.data } };
        continue;
      }
      const error = result.ok ? streamRefused() : result.error;
      const kind = result.ok ? kinds[index] : result.kind;
      envelopes[index] = {
        error: errorShape(error, kind ?? 'unknown', paths[index], inputs.result(index)),
      };
    }
    sendJson(
      reply,
      getHTTPStatusCode(envelopes),
      envelopes.map((envelope) =>
        'error' in envelope
          ? { error: serialize(envelope.error) }
          : { result: { data: serialize(envelope.result.data) } },
      ),
    );
  };
}
