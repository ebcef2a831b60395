import type { ReactNode } from 'react';
import { fieldErrorsOf, messageOf } from '../app/errors';
import { ErrorMessage } from '../forms/Alert';

/** Why the server refused a link's token: its message for `token` (expired, used, not
 * valid) when it named the field, else the error's own message. */
export function linkRefusalOf(error: unknown): string {
  return fieldErrorsOf(error).token?.join(' ') ?? messageOf(error);
}

/** Why a mailed link did not work (expired, used, cut short), and the way to a new one. */
export function LinkProblem({ message, retry }: { message: string; retry: ReactNode }) {
  return (
    <div className="link-problem">
      <ErrorMessage>{message}</ErrorMessage>
      <div className="muted">{retry}</div>
    </div>
  );
}
