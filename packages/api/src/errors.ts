import { storageProblem } from '@trellis/db';
import { type TRPCDefaultErrorShape, TRPCError } from '@trpc/server';
import { type TRPC_ERROR_CODE_KEY, TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import { z } from 'zod';

/** Paths of invalid input fields mapped to what is wrong with each. */
export type FieldErrors = Record<string, string[]>;

/**
 * Every code an error answer can carry (`data.code` over /trpc, `error.code` over REST):
 * tRPC's codes, written out so that the client's type and the OpenAPI document's enum are
 * this one list, and stay the same whichever tRPC 11 a consumer installs. For each HTTP
 * status the first code listed with it is the one REST answers without a procedure's word
 * (a 400 is BAD_REQUEST).
 */
export const TRELLIS_ERROR_CODES = [
  'BAD_REQUEST',
  'PARSE_ERROR',
  'UNAUTHORIZED',
  'PAYMENT_REQUIRED',
  'FORBIDDEN',
  'NOT_FOUND',
  'METHOD_NOT_SUPPORTED',
  'TIMEOUT',
  'CONFLICT',
  'PRECONDITION_FAILED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'UNPROCESSABLE_CONTENT',
  'PRECONDITION_REQUIRED',
  'TOO_MANY_REQUESTS',
  'CLIENT_CLOSED_REQUEST',
  'INTERNAL_SERVER_ERROR',
  'NOT_IMPLEMENTED',
  'BAD_GATEWAY',
  'SERVICE_UNAVAILABLE',
  'GATEWAY_TIMEOUT',
] as const satisfies readonly TRPC_ERROR_CODE_KEY[];

/** One of {@link TRELLIS_ERROR_CODES}. */
export type TrellisErrorCode = (typeof TRELLIS_ERROR_CODES)[number];

// A tRPC that adds a code fails the type check here, until the list above names it too.
const everyTrpcCode: Exclude<TRPC_ERROR_CODE_KEY, TrellisErrorCode> extends never ? true : false =
  true;
void everyTrpcCode;

/** The `data` every Trellis error carries: stable across versions. */
export interface TrellisErrorData {
  code: TrellisErrorCode;
  httpStatus: number;
  path?: string;
  fieldErrors?: FieldErrors;
}

interface Issue {
  path?: readonly PropertyKey[] | readonly { key: PropertyKey }[];
  message: string;
  code?: string;
  keys?: readonly string[];
}

function issuesOf(cause: unknown): Issue[] | undefined {
  if (typeof cause !== 'object' || cause === null || !('issues' in cause)) return undefined;
  const { issues } = cause as { issues: unknown };
  return Array.isArray(issues) ? (issues as Issue[]) : undefined;
}

function pathKey(path: Issue['path']): string {
  return (path ?? [])
    .map((segment) => (typeof segment === 'object' ? segment.key : segment))
    .map(String)
    .join('.');
}

/**
 * A BAD_REQUEST naming one input field (`path`), shaped like a validation error so that
 * its `fieldErrors` read the same as zod's; for checks zod cannot make (a stale cursor, a
 * wrong password, a non-member assignee).
 */
export function fieldError(path: string | string[], message: string): TRPCError {
  const issue = { code: 'custom' as const, path: [path].flat(), message, input: undefined };
  return new TRPCError({ code: 'BAD_REQUEST', message, cause: new z.ZodRealError([issue]) });
}

/** Turns validation issues (zod or any Standard Schema) into `{ "a.b": ["message"] }`. */
export function fieldErrorsOf(cause: unknown): FieldErrors | undefined {
  const issues = issuesOf(cause);
  if (!issues) return undefined;
  // A Map, not an object: the keys come from the client (an unknown key is named as sent),
  // and `fields["__proto__"]` or `fields["constructor"]` would be Object's own members.
  const fields = new Map<string, string[]>();
  const add = (key: string, message: string) => {
    const list = fields.get(key) ?? [];
    list.push(message);
    fields.set(key, list);
  };
  for (const issue of issues) {
    const base = pathKey(issue.path);
    if (issue.code === 'unrecognized_keys' && issue.keys) {
      for (const key of issue.keys) add(base ? `${base}.${key}` : key, 'Unrecognized key');
    } else {
      add(base, issue.message);
    }
  }
  // fromEntries defines own properties, so even `__proto__` stays a plain field name.
  return Object.fromEntries(fields);
}

/**
 * The one error formatter: contract codes, field errors for bad input, and nothing
 * internal (no stack, no SQL) in a server error's message. A database that cannot write
 * (disk full, read-only or failing storage) is a condition of the server, not a bug: it
 * answers SERVICE_UNAVAILABLE (503) saying so, where any other unexpected error stays an
 * anonymous 500. Both HTTP handlers send the shape's status; server.ts still logs the cause.
 */
export function formatError({ shape, error }: { shape: TRPCDefaultErrorShape; error: TRPCError }): {
  code: TRPCDefaultErrorShape['code'];
  message: string;
  data: TrellisErrorData;
} {
  const storage = error.code === 'INTERNAL_SERVER_ERROR' ? storageProblem(error.cause) : undefined;
  if (storage !== undefined) {
    return {
      code: TRPC_ERROR_CODES_BY_KEY.SERVICE_UNAVAILABLE,
      message: storage,
      data: {
        code: 'SERVICE_UNAVAILABLE',
        httpStatus: 503,
        ...(shape.data.path === undefined ? {} : { path: shape.data.path }),
      },
    };
  }
  const fieldErrors = error.code === 'BAD_REQUEST' ? fieldErrorsOf(error.cause) : undefined;
  const message =
    error.code === 'INTERNAL_SERVER_ERROR'
      ? 'Internal server error'
      : fieldErrors
        ? `Invalid input: ${Object.entries(fieldErrors)
            .map(([field, messages]) => `${field || '(input)'}: ${messages.join(', ')}`)
            .join('; ')}`
        : shape.message;
  const data: TrellisErrorData = { code: shape.data.code, httpStatus: shape.data.httpStatus };
  if (shape.data.path !== undefined) data.path = shape.data.path;
  if (fieldErrors) data.fieldErrors = fieldErrors;
  return { code: shape.code, message, data };
}
