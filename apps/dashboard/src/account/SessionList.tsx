import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { messageOf } from '../app/errors';
import { navigate } from '../app/router';
import { paths } from '../app/routes';
import { useTRPC } from '../app/trpc';
import { ErrorMessage, Loading } from '../forms/Alert';
import { formatTime } from '../tasks/time';
import { describeAgent } from './describeAgent';

/** Where the account is signed in (auth.sessions.list): sign one out, or all at once. */
export function SessionList() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const sessions = useQuery(trpc.auth.sessions.list.queryOptions());
  const revoke = useMutation(
    trpc.auth.sessions.revoke.mutationOptions({
      onSettled: () => queryClient.invalidateQueries(trpc.auth.sessions.list.queryFilter()),
    }),
  );
  const everywhere = useMutation(
    trpc.auth.signOutEverywhere.mutationOptions({
      onSuccess: () => {
        navigate(paths.signIn);
        queryClient.clear();
      },
    }),
  );
  const error = sessions.error ?? revoke.error ?? everywhere.error;
  return (
    <section className="card stack" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Where you are signed in</h2>
      {sessions.isPending ? <Loading /> : null}
      <ErrorMessage>{error ? messageOf(error) : null}</ErrorMessage>
      <ul className="list sessions">
        {sessions.data?.map((session) => (
          <li key={session.id}>
            <span title={session.userAgent ?? undefined}>
              <strong>{describeAgent(session.userAgent)}</strong>
              {session.current ? <span className="badge">this browser</span> : null}
            </span>
            <span className="muted">
              {session.ip ? `${session.ip} · ` : ''}signed in {formatTime(session.createdAt)}
              {' · '}last active {formatTime(session.lastVerifiedAt)}
            </span>
            {session.current ? null : (
              <button
                type="button"
                className="secondary"
                disabled={revoke.isPending}
                onClick={() => revoke.mutate({ sessionId: session.id })}
              >
                End session
                <span className="visually-hidden"> of {describeAgent(session.userAgent)}</span>
              </button>
            )}
          </li>
        ))}
      </ul>
      <div className="actions">
        <button
          type="button"
          className="secondary"
          disabled={everywhere.isPending}
          onClick={() => everywhere.mutate({})}
        >
          Sign out everywhere
        </button>
      </div>
    </section>
  );
}
