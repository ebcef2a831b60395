import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useEffect, useRef } from 'react';
import { ResendVerification } from '../account/ResendVerification';
import { isRetryable } from '../app/errors';
import { useFragmentToken } from '../app/fragment';
import { Link } from '../app/router';
import { paths } from '../app/routes';
import { useTRPC } from '../app/trpc';
import type { User } from '../app/user';
import { useSignedInUser } from '../app/useSignedInUser';
import { Loading } from '../forms/Alert';
import { AuthCard } from './AuthCard';
import { LinkProblem } from './LinkProblem';
import { linkRefusalOf } from './linkRefusal';

/** `/verify-email#token=trv_…`, from a verification (or email change) mail: confirms the
 * address with auth.verifyEmail as soon as the page opens, signed in or not. */
export function VerifyEmailPage() {
  const token = useFragmentToken();
  const user = useSignedInUser();
  if (!token) {
    return (
      <NotVerified
        user={user}
        message="This page needs the link from your verification mail, and this address has none."
      />
    );
  }
  // One attempt per link: another link opened in this tab starts afresh.
  return <Verify key={token} token={token} user={user} />;
}

function Verify({ token, user }: { token: string; user: User | null | undefined }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const verify = useMutation(
    trpc.auth.verifyEmail.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries(trpc.auth.me.queryFilter()),
    }),
  );
  // The token is single use: call once, even when React runs effects twice in development.
  const sent = useRef(false);
  const { mutate } = verify;
  useEffect(() => {
    if (sent.current) return;
    sent.current = true;
    mutate({ token });
  }, [token, mutate]);

  if (verify.isSuccess) {
    return (
      <AuthCard title="Email verified">
        <p role="status">
          Thank you: <strong className="address">{verify.data.email}</strong> is confirmed as your
          account's email address.
        </p>
        <Onward user={user} />
      </AuthCard>
    );
  }
  if (!verify.isError) {
    return (
      <AuthCard title="Verifying your email…">
        <Loading what="Checking the link…" />
      </AuthCard>
    );
  }
  return (
    <NotVerified user={user} message={linkRefusalOf(verify.error)}>
      {isRetryable(verify.error) ? (
        <button type="button" className="secondary" onClick={() => mutate({ token })}>
          Try again
        </button>
      ) : null}
    </NotVerified>
  );
}

/** Why the address was not verified, and how to get a link that works. */
function NotVerified({
  user,
  message,
  children,
}: {
  user: User | null | undefined;
  message: string;
  children?: ReactNode;
}) {
  return (
    <AuthCard title="This link did not work">
      <LinkProblem message={message} retry={<NewLinkAdvice user={user} />} />
      {children}
      {user ? <Onward user={user} /> : null}
    </AuthCard>
  );
}

/** Where to go next: the dashboard when signed in here, else signing in. */
function Onward({ user }: { user: User | null | undefined }) {
  return user === null ? (
    <Link to={paths.signIn} className="button">
      Sign in
    </Link>
  ) : (
    <Link to="/" className="button">
      Go to your dashboard
    </Link>
  );
}

/** How to get a working link, depending on who (if anyone) is signed in here. */
function NewLinkAdvice({ user }: { user: User | null | undefined }) {
  if (user === undefined) return null;
  if (user === null) {
    return (
      <>
        <Link to={paths.signIn}>Sign in</Link> to have a new link sent.
      </>
    );
  }
  if (user.emailVerified) {
    return (
      <>
        Your address <span className="address">{user.email}</span> is already verified.
      </>
    );
  }
  return (
    <>
      Links work for 24 hours and once only. Ask for a new one:{' '}
      <ResendVerification email={user.email} label="Send a new link" />
    </>
  );
}
