import type { FieldErrors } from '@trellis/api';
import { storageProblem } from '@trellis/db';
import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

/** The error codes REST answers carry: tRPC's names, with the same HTTP statuses. */
export const REST_ERROR_CODES = [
  'BAD_REQUEST',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'UNPROCESSABLE_CONTENT',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'TOO_MANY_REQUESTS',
  'INTERNAL_SERVER_ERROR',
  'SERVICE_UNAVAILABLE',
] as const;

/** Every REST error answer: `{error: {code, message, fieldErrors?}}`. */
export const restErrorSchema = z.object({
  error: z.object({
    code: z.enum(REST_ERROR_CODES),
    message: z.string(),
    fieldErrors: z.record(z.string(), z.array(z.string())).optional(),
  }),
});

/** A REST error answer's body. */
export type RestError = z.infer<typeof restErrorSchema>;

/** A REST error code. */
export type RestErrorCode = (typeof REST_ERROR_CODES)[number];

// tRPC's own code → status table, read backwards, so the two transports cannot disagree.
const CODE_BY_STATUS = new Map<number, RestErrorCode>(
  REST_ERROR_CODES.map((code) => [getHTTPStatusCodeFromError(new TRPCError({ code })), code]),
);

/** The REST body of an error; the code follows from the status when not given. */
export function restErrorBody(
  status: number,
  message: string,
  fieldErrors?: FieldErrors,
  code: string = CODE_BY_STATUS.get(status) ??
    (status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR'),
) {
  return { error: { code, message, ...(fieldErrors ? { fieldErrors } : {}) } };
}

/** Sends a REST error. */
export function sendRestError(
  reply: FastifyReply,
  status: number,
  message: string,
  fieldErrors?: FieldErrors,
  code?: string,
): FastifyReply {
  return reply
    .status(status)
    .type('application/json')
    .send(restErrorBody(status, message, fieldErrors, code));
}

/**
 * Errors Fastify raises before a route's handler runs (malformed or oversized JSON,
 * an unsupported content type), in the REST shape. Anything else is a bug: logged in
 * full, answered without details.
 */
export function handleRestFrameworkError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  const status = error.statusCode ?? 500;
  if (status >= 500) {
    request.log.error({ err: error }, 'unhandled error');
    // A database that cannot write (disk full, read-only) is the operator's to fix: say so.
    const problem = storageProblem(error);
    return sendRestError(reply, problem ? 503 : 500, problem ?? 'Internal server error');
  }
  // Parsers' messages quote the body; a fixed one is enough.
  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) {
    return sendRestError(reply, 400, 'Malformed JSON body');
  }
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return sendRestError(reply, 415, 'Send the body as application/json');
  }
  return sendRestError(reply, status, error.message);
}
