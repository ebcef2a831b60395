import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, navigate } from '../app/router';
import { paths } from '../app/routes';
import { useTRPC } from '../app/trpc';
import { AuthForm } from './AuthForm';
import { OAuthButtons } from './OAuthButtons';

/** Signs in with email and password (or an OAuth provider), then opens the dashboard. */
export function SignInPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const signIn = useMutation(
    trpc.auth.signIn.mutationOptions({
      onSuccess: () => {
        queryClient.clear();
        navigate('/');
      },
    }),
  );
  return (
    <AuthForm
      title="Sign in to Trellis"
      submitLabel="Sign in"
      withName={false}
      pending={signIn.isPending}
      error={signIn.error}
      onSubmit={({ email, password }) => signIn.mutate({ email, password })}
      footer={
        <>
          <p className="muted">
            <Link to={paths.forgotPassword}>Forgot your password?</Link>
          </p>
          <OAuthButtons />
          <p className="muted">
            New here? <Link to={paths.signUp}>Create an account</Link>
          </p>
        </>
      }
    />
  );
}
