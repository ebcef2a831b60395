import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from '../app/router';
import { paths } from '../app/routes';
import { useTRPC } from '../app/trpc';
import type { User } from '../app/user';
import { ErrorMessage } from '../forms/Alert';
import { Field } from '../forms/Field';
import { formErrors } from '../forms/formErrors';
import { type NewPassword, NewPasswordFields, NO_NEW_PASSWORD } from './NewPasswordFields';
import { revokedText } from './revokedText';

/** Changes the password (auth.changePassword), which signs out every other session. An
 * account made through a sign-in provider has none; it can add one by the reset mail. */
export function ChangePasswordForm({ user }: { user: User }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [current, setCurrent] = useState('');
  const [value, setValue] = useState<NewPassword>(NO_NEW_PASSWORD);
  const [submitted, setSubmitted] = useState(false);
  const change = useMutation(
    trpc.auth.changePassword.mutationOptions({
      onSuccess: () => {
        setCurrent('');
        setValue(NO_NEW_PASSWORD);
        setSubmitted(false);
        return queryClient.invalidateQueries(trpc.auth.sessions.list.queryFilter());
      },
    }),
  );
  const errors = formErrors(change.error, ['currentPassword', 'newPassword']);
  if (!user.hasPassword) {
    return (
      <section className="card stack" aria-labelledby="password-title">
        <h2 id="password-title">Password</h2>
        <p className="muted">
          Your account has no password: you sign in through a sign-in provider. To add one,{' '}
          <Link to={paths.forgotPassword}>ask for a link by mail</Link>.
        </p>
      </section>
    );
  }
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    if (value.password !== value.confirm) return;
    change.mutate({ currentPassword: current, newPassword: value.password });
  };
  return (
    <section className="card" aria-labelledby="password-title">
      <h2 id="password-title">Change password</h2>
      <form className="stack" onSubmit={submit}>
        <Field label="Current password" errors={errors.field('currentPassword')}>
          {(control) => (
            <input
              {...control}
              type="password"
              autoComplete="current-password"
              required
              value={current}
              onChange={(e) => setCurrent(e.target.value)}
            />
          )}
        </Field>
        <NewPasswordFields
          value={value}
          onChange={setValue}
          errors={errors.field('newPassword')}
          mismatch={submitted && value.password !== value.confirm}
        />
        <ErrorMessage>{errors.form}</ErrorMessage>
        <button type="submit" disabled={change.isPending}>
          Change password
        </button>
      </form>
      <p role="status" className="success">
        {change.isSuccess ? `Password changed. ${revokedText(change.data.revoked)}` : ''}
      </p>
    </section>
  );
}
