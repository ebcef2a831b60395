import type { User } from '../app/user';

/** Who the account is: name, email, and whether the email is verified. */
export function ProfileCard({ user }: { user: User }) {
  return (
    <section className="card" aria-labelledby="profile-title">
      <h2 id="profile-title">Profile</h2>
      <dl className="facts">
        <dt>Name</dt>
        <dd>{user.name}</dd>
        <dt>Email</dt>
        <dd>
          <span className="address">{user.email}</span>{' '}
          {user.emailVerified ? (
            <span className="badge verified">verified</span>
          ) : (
            <span className="badge unverified">not verified</span>
          )}
        </dd>
      </dl>
    </section>
  );
}
