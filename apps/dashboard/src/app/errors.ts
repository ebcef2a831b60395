import { isTrellisError } from '@trellis/client';

/** What went wrong, in a sentence for the user. */
export function messageOf(error: unknown): string {
  if (isTrellisError(error)) {
    if (error.code === undefined) return 'Cannot reach the server. Check your connection.';
    if (error.code === 'TOO_MANY_REQUESTS') return 'Too many attempts. Wait a moment and retry.';
    return error.message;
  }
  return error instanceof Error ? error.message : 'Something went wrong.';
}

/** The API's per-field messages, keyed by the input path (`title`, `patch.title`). */
export function fieldErrorsOf(error: unknown): Record<string, string[]> {
  return (isTrellisError(error) && error.fieldErrors) || {};
}

/** True when the API refused a stale `expectedVersion` (or a duplicate). */
export function isConflict(error: unknown): boolean {
  return isTrellisError(error) && error.code === 'CONFLICT';
}
