import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { type NewPassword, NewPasswordFields, NO_NEW_PASSWORD } from '../account/NewPasswordFields';
import { isRetryable } from '../app/errors';
import { useFragmentToken } from '../app/fragment';
import { Link } from '../app/router';
import { paths } from '../app/routes';
import { useTRPC } from '../app/trpc';
import { ErrorMessage } from '../forms/Alert';
import { formErrors } from '../forms/formErrors';
import { AuthCard } from './AuthCard';
import { LinkProblem } from './LinkProblem';

/** `/reset-password#token=trp_…`, from the reset mail: chooses a new password
 * (auth.resetPassword), which also signs the account out everywhere. */
export function ResetPasswordPage() {
  const token = useFragmentToken();
  if (!token) {
    return (
      <AuthCard title="Choose a new password">
        <LinkProblem
          message="This page needs the link from your password reset mail, and this address has none."
          retry={<Link to={paths.forgotPassword}>Ask for a new link</Link>}
        />
      </AuthCard>
    );
  }
  // Another link opened in this tab starts afresh.
  return <ResetForm key={token} token={token} />;
}

function ResetForm({ token }: { token: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [value, setValue] = useState<NewPassword>(NO_NEW_PASSWORD);
  const [submitted, setSubmitted] = useState(false);
  const reset = useMutation(
    trpc.auth.resetPassword.mutationOptions({
      // Every session ended, this browser's included: nothing cached is theirs any more.
      onSuccess: () => queryClient.clear(),
    }),
  );
  const mismatch = submitted && value.password !== value.confirm;
  const errors = formErrors(reset.error, ['newPassword', 'token']);

  if (reset.isSuccess) {
    return (
      <AuthCard title="Password changed">
        <p role="status">
          Your new password is set. For your safety, every session of your account was signed out.
        </p>
        <Link to={paths.signIn} className="button">
          Sign in
        </Link>
      </AuthCard>
    );
  }
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    if (value.password !== value.confirm) return;
    reset.mutate({ token, newPassword: value.password });
  };
  const tokenProblem = errors.field('token')?.join(' ') ?? errors.form;
  return (
    <AuthCard title="Choose a new password">
      <form className="stack" onSubmit={submit}>
        <NewPasswordFields
          value={value}
          onChange={setValue}
          errors={errors.field('newPassword')}
          mismatch={mismatch}
        />
        {isRetryable(reset.error) ? (
          <ErrorMessage>{errors.form}</ErrorMessage>
        ) : tokenProblem ? (
          <LinkProblem
            message={tokenProblem}
            retry={<Link to={paths.forgotPassword}>Ask for a new link</Link>}
          />
        ) : null}
        <button type="submit" disabled={reset.isPending}>
          Set new password
        </button>
      </form>
    </AuthCard>
  );
}
