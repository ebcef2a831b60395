import { useMutation, useQueryClient } from '@tanstack/react-query';
import { navigate } from '../app/router';
import { paths } from '../app/routes';
import { useTRPC } from '../app/trpc';

/** Ends the session (the server clears the cookie) and returns to the sign-in page. */
export function SignOutButton() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const signOut = useMutation(
    trpc.auth.signOut.mutationOptions({
      onSettled: () => {
        navigate(paths.signIn);
        queryClient.clear();
      },
    }),
  );
  return (
    <button
      type="button"
      className="secondary"
      disabled={signOut.isPending}
      onClick={() => signOut.mutate({})}
    >
      Sign out
    </button>
  );
}
