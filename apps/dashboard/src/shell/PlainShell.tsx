import type { ReactNode } from 'react';
import { Link } from '../app/router';
import type { User } from '../app/user';
import { AccountLink } from './AccountLink';
import { SignOutButton } from './SignOutButton';
import { VerifyEmailNotice } from './VerifyEmailNotice';

/** The frame of a signed-in page outside any workspace (home, account): a topbar with the
 * user, their account and sign out, the verification notice, and a narrow page. */
export function PlainShell({ user, children }: { user: User; children: ReactNode }) {
  return (
    <div className="shell">
      <header className="topbar">
        <Link to="/" className="brand">
          Trellis
        </Link>
        <span className="user" title={user.email}>
          {user.name}
        </span>
        <AccountLink />
        <SignOutButton />
      </header>
      <VerifyEmailNotice user={user} />
      <main className="page narrow">{children}</main>
    </div>
  );
}
