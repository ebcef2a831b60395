import { RATE_LIMIT_HEADERS } from '@trellis/api';
import { ERROR_EXAMPLES } from './examples.js';
import type { JsonSchema } from './procedures.js';
import type { RouteStatus } from './statuses.js';

// The OpenAPI document's shared responses and headers: one component per status, each
// saying every reason a route can answer it, referenced by the operations that can.

/** A status the document has a shared response for. */
export type SharedStatus = RouteStatus;

/** The component name and description of each shared response. */
export const SHARED_RESPONSES: Record<SharedStatus, readonly [string, string]> = {
  304: [
    'NotModified',
    'The `If-None-Match` header names the current `ETag`: the copy the client has is current. No body.',
  ],
  400: [
    'BadRequest',
    'Invalid input (`fieldErrors` maps each field path to its problems), or a body that is not JSON.',
  ],
  401: [
    'Unauthorized',
    'No valid session or token (missing, expired, signed out, revoked); on sign-in, a wrong email or password.',
  ],
  403: [
    'Forbidden',
    'The role does not allow it, a read-only token writing, an API token where only people may ' +
      'call, or a cookie-authenticated mutation from a foreign Origin.',
  ],
  404: [
    'NotFound',
    'Not found, or in a workspace the caller is not a member of (the two are not told apart).',
  ],
  409: [
    'Conflict',
    'A duplicate, a stale `expectedVersion`, the last owner, an archived project, or the first ' +
      'request with this `Idempotency-Key` still running.',
  ],
  413: ['PayloadTooLarge', 'The body is over the size limit.'],
  415: ['UnsupportedMediaType', 'The body is not `application/json`.'],
  422: ['UnprocessableContent', 'This `Idempotency-Key` was sent with another request.'],
  429: [
    'TooManyRequests',
    'A rate limit is hit: retry after `Retry-After` seconds. The `RateLimit-*` headers say which ' +
      'limit and when it resets.',
  ],
  503: [
    'ServiceUnavailable',
    'Cannot be done now: the database cannot write (disk full, read-only storage), or the ' +
      'procedure sends mail (sign-up verification resend, password reset, email change) and ' +
      'this server has none (no `SMTP_URL`, in production), or it sends webhooks (create, ' +
      'a new `url`, test, redeliver) and this server sends none.',
  ],
};

/** A reference to a shared response. */
export const responseRef = (status: SharedStatus) => ({
  $ref: `#/components/responses/${SHARED_RESPONSES[status][0]}`,
});

const headerRef = (name: string) => ({ $ref: `#/components/headers/${name}` });

/** Response headers of every answer of a rate-limited procedure. */
export const RATE_LIMIT_RESPONSE_HEADERS = {
  [RATE_LIMIT_HEADERS.limit]: headerRef(RATE_LIMIT_HEADERS.limit),
  [RATE_LIMIT_HEADERS.remaining]: headerRef(RATE_LIMIT_HEADERS.remaining),
  [RATE_LIMIT_HEADERS.reset]: headerRef(RATE_LIMIT_HEADERS.reset),
};

/** Headers of a query's 200 (and 304): the validator and how caches may keep it. */
export const QUERY_RESPONSE_HEADERS = {
  ETag: headerRef('ETag'),
  'Cache-Control': headerRef('Cache-Control'),
};

const integer = { type: 'integer', minimum: 0 };

/** components.headers */
export const HEADER_COMPONENTS: Record<string, { description: string; schema: JsonSchema }> = {
  [RATE_LIMIT_HEADERS.limit]: {
    description:
      "The most restrictive counter's limit for its window (draft-ietf-httpapi-ratelimit-headers).",
    schema: integer,
  },
  [RATE_LIMIT_HEADERS.remaining]: {
    description: 'Attempts that counter has left in its window (0: the next one is refused).',
    schema: integer,
  },
  [RATE_LIMIT_HEADERS.reset]: {
    description: 'Seconds until that counter’s window resets.',
    schema: integer,
  },
  [RATE_LIMIT_HEADERS.retryAfter]: {
    description: 'Seconds to wait before retrying.',
    schema: integer,
  },
  ETag: {
    description:
      'A strong validator of this answer for this caller; send it back as `If-None-Match` to get 304 while it is current.',
    schema: { type: 'string' },
  },
  'Cache-Control': {
    description: '`private, no-cache`: kept by the client only, and revalidated on every use.',
    schema: { type: 'string' },
  },
};

/**
 * components.responses, given the schemas of REST's error body and of the tRPC-shaped one
 * (what the server answers before any route runs).
 */
export function responseComponents(
  errorSchema: JsonSchema,
  trpcErrorSchema: JsonSchema,
): Record<string, unknown> {
  const json = (status: number) => ({
    'application/json': { schema: errorSchema, example: ERROR_EXAMPLES[status] },
  });
  const components: Record<string, unknown> = {};
  for (const [key, [name, description]] of Object.entries(SHARED_RESPONSES)) {
    const status = Number(key) as SharedStatus;
    components[name] =
      status === 304
        ? { description, headers: QUERY_RESPONSE_HEADERS }
        : { description, content: json(status) };
  }
  const retryAfter = { [RATE_LIMIT_HEADERS.retryAfter]: headerRef(RATE_LIMIT_HEADERS.retryAfter) };
  components.TooManyRequests = {
    ...(components.TooManyRequests as object),
    headers: { ...retryAfter, ...RATE_LIMIT_RESPONSE_HEADERS },
  };
  components.Unexpected = {
    description:
      'Any other status: 500 when the server fails unexpectedly (logged there; the message ' +
      'says no more), or a refusal of the HTTP request itself before any route runs (408 too ' +
      'slow to arrive, 414 URL too long, 431 headers too large).',
    content: {
      'application/json': {
        schema: { anyOf: [errorSchema, trpcErrorSchema] },
        example: ERROR_EXAMPLES[500],
      },
    },
  };
  return components;
}
