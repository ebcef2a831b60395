import type { ReactNode } from 'react';

/** An error message that screen readers announce when it appears. */
export function ErrorMessage({ children }: { children: ReactNode }) {
  if (children === null || children === undefined || children === '') return null;
  return (
    <p role="alert" className="error">
      {children}
    </p>
  );
}

/** A placeholder while data loads. */
export function Loading({ what = 'Loading…' }: { what?: string }) {
  return (
    <p className="muted" aria-busy="true">
      {what}
    </p>
  );
}
