import { ResendVerification } from '../account/ResendVerification';
import type { User } from '../app/user';

/** The reminder on every signed-in page while the account's email is unverified. */
export function VerifyEmailNotice({ user }: { user: User }) {
  if (user.emailVerified) return null;
  return (
    <section className="notice" aria-label="Email verification">
      <p>
        <strong>Verify your email address</strong> — we sent a link to{' '}
        <span className="address">{user.email}</span>.
      </p>
      <ResendVerification email={user.email} />
    </section>
  );
}
