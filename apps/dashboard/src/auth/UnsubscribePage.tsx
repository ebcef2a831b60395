import { useMutation } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { isRetryable } from '../app/errors';
import { useFragmentToken } from '../app/fragment';
import { Link } from '../app/router';
import { paths } from '../app/routes';
import { useTRPC } from '../app/trpc';
import { Loading } from '../forms/Alert';
import { AuthCard } from './AuthCard';
import { LinkProblem } from './LinkProblem';
import { linkRefusalOf } from './linkRefusal';

/** `/unsubscribe#token=tru_…`, from an email digest: turns digests off as soon as the page
 * opens, signed in or not (notifications.unsubscribe; using it again does no harm). */
export function UnsubscribePage() {
  const token = useFragmentToken();
  if (!token) {
    return (
      <AuthCard title="This link did not work">
        <LinkProblem
          message="This page needs the link from a notification email, and this address has none."
          retry={<SignInAdvice />}
        />
      </AuthCard>
    );
  }
  return <Unsubscribe key={token} token={token} />;
}

function Unsubscribe({ token }: { token: string }) {
  const trpc = useTRPC();
  const unsubscribe = useMutation(trpc.notifications.unsubscribe.mutationOptions());
  // Once per link, even when React runs effects twice in development.
  const sent = useRef(false);
  const { mutate } = unsubscribe;
  useEffect(() => {
    if (sent.current) return;
    sent.current = true;
    mutate({ token });
  }, [token, mutate]);

  if (unsubscribe.isSuccess) {
    return (
      <AuthCard title="Unsubscribed">
        <p role="status">
          You will get no more notification emails. Your inbox in Trellis still shows everything;
          you can turn emails back on in your notification preferences.
        </p>
        <Link to="/" className="button">
          Go to your dashboard
        </Link>
      </AuthCard>
    );
  }
  if (!unsubscribe.isError) {
    return (
      <AuthCard title="Unsubscribing…">
        <Loading what="Checking the link…" />
      </AuthCard>
    );
  }
  return (
    <AuthCard title="This link did not work">
      <LinkProblem message={linkRefusalOf(unsubscribe.error)} retry={<SignInAdvice />} />
      {isRetryable(unsubscribe.error) ? (
        <button type="button" className="secondary" onClick={() => mutate({ token })}>
          Try again
        </button>
      ) : null}
    </AuthCard>
  );
}

/** The way that always works: signing in and turning email off there. */
function SignInAdvice() {
  return (
    <>
      <Link to={paths.signIn}>Sign in</Link> to turn notification emails off in your preferences.
    </>
  );
}
