import type { AppRouter, Context } from '@trellis/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LiveStreams } from '../ops/live-streams.js';
import type { StreamGate } from '../ops/stream-limits.js';
import { admitAdapterAnswers } from './fetch-responses.js';
import { type TrpcHandlerKind, type TrpcOptions, trpcHandler } from './handler.js';
import { procedureKinds } from './procedures.js';
import { refuseUnreadableCalls } from './request-checks.js';

export type { TrpcHandlerKind } from './handler.js';

/** What the tRPC transport serves, and the server-wide pieces it takes part in. */
export interface TrpcTransportOptions {
  router: AppRouter;
  /** TRPC_HANDLER: the lean handler, or tRPC's own Fastify adapter. */
  handler: TrpcHandlerKind;
  /** MAX_BATCH_SIZE: longer batches are refused with 413. */
  maxBatchSize: number;
  /** The context of one HTTP request (request-context.ts, shared with REST). */
  createContext(request: FastifyRequest, reply: FastifyReply): Context;
  /** The per-user cap on live streams (MAX_STREAMS_PER_USER). */
  streams: StreamGate;
}

/**
 * The tRPC transport, registered with the endpoint's prefix (`/trpc`): each call at
 * `/trpc/:path`, JSON only (a text/plain body is what a cross-site form can send without a
 * CORS preflight: refused, 415, rather than parsed), batches within the limit, and live
 * streams within the user's cap.
 */
export async function trpcTransport(
  scope: FastifyInstance,
  { router, handler, maxBatchSize, createContext, streams }: TrpcTransportOptions,
): Promise<void> {
  const subscriptions = new Set(
    [...procedureKinds(router)].filter(([, kind]) => kind === 'subscription').map(([path]) => path),
  );
  const trpcOptions: TrpcOptions<AppRouter> = {
    router,
    maxBatchSize,
    createContext: ({ req, res }) => {
      const ctx = createContext(req, res);
      // Only subscription requests are watched for the stream cap.
      const { path } = req.params as { path?: string };
      if (path !== undefined && subscriptions.has(path)) streams.watch(req, ctx);
      return ctx;
    },
    onError: ({ error, path, req }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') {
        req.log.error({ err: error.cause ?? error, path }, 'procedure failed');
      }
    },
  };

  // Open event streams end with a retry hint when the server closes, once /readyz says it
  // is shutting down.
  const liveStreams = new LiveStreams();
  scope.addHook('preClose', async () => {
    liveStreams.endAll();
  });
  // Before the database closes (housekeeping closes last): the slots still held go back.
  scope.addHook('onClose', () => streams.close());
  scope.removeContentTypeParser('text/plain');
  refuseUnreadableCalls(scope, maxBatchSize);
  admitAdapterAnswers(scope, { streams, liveStreams });
  await scope.register(trpcHandler<AppRouter>, { handler, trpcOptions });
}
