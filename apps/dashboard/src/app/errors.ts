import { isTrellisError } from '@trellis/client';

/** What went wrong, in a sentence for the user. */
export function messageOf(error: unknown): string {
  if (isTrellisError(error)) {
    if (error.code === undefined || error.code === 'NETWORK') {
      return 'Cannot reach the server. Check your connection.';
    }
    if (error.code === 'TIMEOUT') return 'The server did not answer in time. Try again.';
    if (error.code === 'NOT_TRELLIS') return 'The server sent an unexpected answer. Try later.';
    if (error.code === 'TOO_MANY_REQUESTS') {
      const seconds = retryAfterOf(error);
      return seconds === undefined
        ? 'Too many attempts. Wait a moment and retry.'
        : `Too many attempts. Try again in ${waitText(seconds)}.`;
    }
    return error.message;
  }
  return error instanceof Error ? error.message : 'Something went wrong.';
}

/** The API's per-field messages, keyed by the input path (`title`, `patch.title`). */
export function fieldErrorsOf(error: unknown): Record<string, string[]> {
  return (isTrellisError(error) && error.fieldErrors) || {};
}

/** True when trying the same call again may work: the network, the wait or the server
 * failed, not the request. */
export function isRetryable(error: unknown): boolean {
  if (!isTrellisError(error)) return false;
  const unanswered = error.code === undefined || error.code === 'NETWORK';
  const noTrellisAnswer = error.code === 'TIMEOUT' || error.code === 'NOT_TRELLIS';
  return unanswered || noTrellisAnswer || (error.status ?? 0) >= 500;
}

/** True when the API refused a stale `expectedVersion` (or a duplicate). */
export function isConflict(error: unknown): boolean {
  return isTrellisError(error) && error.code === 'CONFLICT';
}

/** The seconds a 429 answer's `Retry-After` asks to wait, when the answer said. */
export function retryAfterOf(error: unknown): number | undefined {
  return isTrellisError(error) ? error.retryAfterSeconds : undefined;
}

/** A wait for people: "45 seconds", "1 minute", "10 minutes". */
export function waitText(seconds: number): string {
  if (seconds < 60) return seconds === 1 ? '1 second' : `${Math.ceil(seconds)} seconds`;
  const minutes = Math.ceil(seconds / 60);
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}
