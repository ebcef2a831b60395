import { ChangeEmailForm } from '../account/ChangeEmailForm';
import { ChangePasswordForm } from '../account/ChangePasswordForm';
import { ProfileCard } from '../account/ProfileCard';
import { SessionList } from '../account/SessionList';
import type { User } from '../app/user';
import { PlainShell } from '../shell/PlainShell';

/** `/account`: the signed-in person's own account — email, password, sessions. */
export function AccountPage({ user }: { user: User }) {
  return (
    <PlainShell user={user}>
      <h1>Your account</h1>
      <div className="stack">
        <ProfileCard user={user} />
        <ChangePasswordForm user={user} />
        <ChangeEmailForm user={user} />
        <SessionList />
      </div>
    </PlainShell>
  );
}
