import type { Socket } from 'node:net';
import { storageProblem } from '@trellis/db';
import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';

type TrpcCode = keyof typeof TRPC_ERROR_CODES_BY_KEY;

const CODE_BY_STATUS: Record<number, TrpcCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_SUPPORTED',
  408: 'TIMEOUT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
  503: 'SERVICE_UNAVAILABLE',
};

/** An error body in the same shape tRPC procedures answer with. */
export function errorBody(status: number, message: string) {
  const code = CODE_BY_STATUS[status] ?? (status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR');
  return {
    error: { message, code: TRPC_ERROR_CODES_BY_KEY[code], data: { code, httpStatus: status } },
  };
}

/** Sends an error in the procedures' shape. */
export function sendError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.status(status).type('application/json').send(errorBody(status, message));
}

function handleError(
  error: FastifyError | TRPCError,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  // tRPC's adapter can throw before its own error handling runs (e.g. an unparseable
  // Host header makes an invalid URL); such errors carry a tRPC code, not a statusCode.
  const status =
    error instanceof TRPCError ? getHTTPStatusCodeFromError(error) : (error.statusCode ?? 500);
  if (status >= 500) {
    request.log.error({ err: error }, 'unhandled error');
    // A database that cannot write (disk full, read-only) is the operator's to fix: say so.
    const problem = storageProblem(error);
    return sendError(reply, problem ? 503 : 500, problem ?? 'Internal server error');
  }
  return sendError(reply, status, error.message);
}

/**
 * `X-Content-Type-Options: nosniff`, sent with every answer: a browser takes each as the
 * type it says (JSON stays data, never a script or a page guessed from its content).
 * server.ts sets it in its first hook; errors raised before hooks run set it here.
 */
export const NOSNIFF = ['x-content-type-options', 'nosniff'] as const;

/** Fastify options that make errors raised while routing answer in the procedures' shape. */
export const frameworkErrorOptions = {
  frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply) {
    // The default body echoes the whole offending URL back; a short message is enough.
    const status = error.statusCode ?? 400;
    reply.header(NOSNIFF[0], NOSNIFF[1]);
    return sendError(reply, status, status === 414 ? 'URL too long' : 'Malformed URL');
  },
  /** Requests Node's HTTP parser rejects before Fastify sees them (header overflow, …). */
  clientErrorHandler(error: Error & { code?: string }, socket: Socket) {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const [status, reason, message] =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'Request headers or URL too large']
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Request Timeout', 'Request took too long to arrive']
          : [400, 'Bad Request', 'Malformed HTTP request'];
    const body = JSON.stringify(errorBody(status, message));
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\n${NOSNIFF[0]}: ${NOSNIFF[1]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(error);
  },
};

/** The 404 for a request no route matched, in the procedures' error shape. */
export function sendNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendError(
    reply,
    404,
    `No route for ${request.method} ${request.url.split('?')[0]?.slice(0, 200)}`,
  );
}

/**
 * Errors Fastify raises before a procedure runs (body too large, unsupported content
 * type) answer in the procedures' error shape; anything else is a bug, logged in full and
 * answered without details. Registered without encapsulation: it is the whole server's.
 */
export const errorAnswers = fastifyPlugin(
  (app: FastifyInstance, _options: unknown, done: (error?: Error) => void) => {
    app.setErrorHandler(handleError);
    done();
  },
  { name: 'trellis-error-answers', fastify: '5.x' },
);
