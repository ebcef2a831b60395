// Failed calls as the dashboard receives them from @trellis/client, for the unit tests of
// what it makes of them.
import { type AppRouter, TrellisError, type TrellisErrorCode } from '@trellis/client';
import { TRPCClientError } from '@trpc/client';

/** What a refusal carries besides its code and status. */
export interface RefusalDetails {
  message?: string;
  fieldErrors?: Record<string, string[]>;
  /** The answer's Retry-After header. */
  retryAfter?: string;
}

/** The server refused the call with this code and HTTP status. */
export function refusal(
  code: TrellisErrorCode,
  httpStatus: number,
  { message = 'Refused by the server', fieldErrors, retryAfter }: RefusalDetails = {},
): TrellisError {
  const data = { code, httpStatus, ...(fieldErrors ? { fieldErrors } : {}) };
  const headers: Record<string, string> =
    retryAfter === undefined ? {} : { 'retry-after': retryAfter };
  const response = new Response(null, { status: httpStatus, headers });
  return new TrellisError(
    TRPCClientError.from<AppRouter>(
      { error: { message, code: -32600, data } },
      { meta: { response } },
    ),
  );
}

/** The call never reached a Trellis server (the network failed). */
export function networkFailure(): TrellisError {
  return new TrellisError(TRPCClientError.from<AppRouter>(new TypeError('fetch failed')));
}
