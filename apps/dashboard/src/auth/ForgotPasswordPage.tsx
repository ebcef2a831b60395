import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from '../app/router';
import { paths } from '../app/routes';
import { useTRPC } from '../app/trpc';
import { ErrorMessage } from '../forms/Alert';
import { Field } from '../forms/Field';
import { formErrors } from '../forms/formErrors';
import { AuthCard } from './AuthCard';

/** `/forgot-password`: asks for a reset link by mail (auth.requestPasswordReset). */
export function ForgotPasswordPage() {
  const trpc = useTRPC();
  const [email, setEmail] = useState('');
  const request = useMutation(trpc.auth.requestPasswordReset.mutationOptions());
  const errors = formErrors(request.error, ['email']);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    request.mutate({ email: email.trim() });
  };
  if (request.isSuccess) {
    // The server answers alike whether or not the account exists, and so does this page:
    // it must not tell a stranger which addresses have accounts.
    return (
      <AuthCard title="Check your email">
        <p role="status">
          If an account exists for <strong className="address">{request.variables.email}</strong>,
          we sent it a link to choose a new password. The link works for 1 hour.
        </p>
        <p className="muted">
          Nothing arrived? Check the spam folder, or{' '}
          <button type="button" className="link-button" onClick={() => request.reset()}>
            try another address
          </button>
          .
        </p>
        <p className="muted">
          <Link to={paths.signIn}>Back to sign in</Link>
        </p>
      </AuthCard>
    );
  }
  return (
    <AuthCard title="Reset your password">
      <form className="stack" onSubmit={submit}>
        <p className="muted">
          Enter your account's email address and we will send you a link to choose a new password.
        </p>
        <Field label="Email" errors={errors.field('email')}>
          {(control) => (
            <input
              {...control}
              type="email"
              autoComplete="email"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          )}
        </Field>
        <ErrorMessage>{errors.form}</ErrorMessage>
        <button type="submit" disabled={request.isPending}>
          Send reset link
        </button>
        <p className="muted">
          Remembered it? <Link to={paths.signIn}>Sign in</Link>
        </p>
      </form>
    </AuthCard>
  );
}
