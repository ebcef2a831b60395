import type { ReactNode } from 'react';
import { ErrorMessage } from '../forms/Alert';

/** Why a mailed link did not work (expired, used, cut short), and the way to a new one. */
export function LinkProblem({ message, retry }: { message: string; retry: ReactNode }) {
  return (
    <div className="link-problem">
      <ErrorMessage>{message}</ErrorMessage>
      <div className="muted">{retry}</div>
    </div>
  );
}
