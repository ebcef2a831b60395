import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, navigate } from '../app/router';
import { paths } from '../app/routes';
import { useTRPC } from '../app/trpc';
import { AuthForm } from './AuthForm';
import { OAuthButtons } from './OAuthButtons';

/** Creates an account (which signs in), then opens the dashboard. */
export function SignUpPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const signUp = useMutation(
    trpc.auth.signUp.mutationOptions({
      onSuccess: () => {
        queryClient.clear();
        navigate('/');
      },
    }),
  );
  return (
    <AuthForm
      title="Create your Trellis account"
      submitLabel="Sign up"
      withName
      pending={signUp.isPending}
      error={signUp.error}
      onSubmit={(credentials) => signUp.mutate(credentials)}
      footer={
        <>
          <OAuthButtons />
          <p className="muted">
            Have an account? <Link to={paths.signIn}>Sign in</Link>
          </p>
        </>
      }
    />
  );
}
