import { type FieldErrors, TRELLIS_ERROR_CODES, type TrellisErrorCode } from '@trellis/api';
import { storageProblem } from '@trellis/db';
import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

/** The HTTP status tRPC answers `code` with (REST answers the same). */
export function statusOfCode(code: TrellisErrorCode): number {
  return getHTTPStatusCodeFromError(new TRPCError({ code }));
}

/** What the document says of an error code: each with the HTTP status it comes with. */
export const ERROR_CODE_DESCRIPTION = `What went wrong, with its HTTP status: ${TRELLIS_ERROR_CODES.map(
  (code) => `${code} ${statusOfCode(code)}`,
).join(', ')}. Clients must accept codes they do not know.`;

/** An error answer's code: the one list the TypeScript type is made from too. */
export const zErrorCode = z.enum(TRELLIS_ERROR_CODES);

/** Invalid input fields (dotted paths; empty for the input as a whole) and their problems. */
export const zFieldErrors = z.record(z.string(), z.array(z.string()));

/** Every REST error answer: `{error: {code, message, fieldErrors?}}`. */
export const restErrorSchema = z.object({
  error: z.object({
    code: zErrorCode,
    message: z.string(),
    fieldErrors: zFieldErrors.optional(),
  }),
});

/**
 * An error as the tRPC transport sends it: the `error` of a /trpc answer, and the data of a
 * live stream's `serialized-error` event. `code` is JSON-RPC's number for `data.code`.
 */
export const trpcErrorShapeSchema = z.object({
  message: z.string(),
  code: z.int(),
  data: z.object({
    code: zErrorCode,
    httpStatus: z.int(),
    path: z.string().optional(),
    fieldErrors: zFieldErrors.optional(),
  }),
});

/** A /trpc error answer's body (also what the server answers before any route runs). */
export const trpcErrorSchema = z.object({ error: trpcErrorShapeSchema });

/** A REST error answer's body. */
export type RestError = z.infer<typeof restErrorSchema>;

// tRPC's own code → status table, read backwards, so the two transports cannot disagree;
// for a status several codes share (400), the first listed.
const CODE_BY_STATUS = new Map<number, TrellisErrorCode>();
for (const code of TRELLIS_ERROR_CODES) {
  const status = statusOfCode(code);
  if (!CODE_BY_STATUS.has(status)) CODE_BY_STATUS.set(status, code);
}

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
