import type { ReactNode } from 'react';

/** The centred card the signed-out pages share (sign-in's look), with its heading. */
export function AuthCard({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main className="auth-page">
      <div className="card auth-card message-card">
        <h1>{title}</h1>
        {children}
      </div>
    </main>
  );
}
