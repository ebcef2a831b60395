import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTRPC } from '../app/trpc';
import type { User } from '../app/user';
import { ErrorMessage } from '../forms/Alert';
import { Field } from '../forms/Field';
import { formErrors } from '../forms/formErrors';

/** Moves the account to another address (auth.changeEmail): nothing changes until the
 * link mailed to the new address is opened; the old address gets a notice. */
export function ChangeEmailForm({ user }: { user: User }) {
  const trpc = useTRPC();
  const [newEmail, setNewEmail] = useState('');
  const [password, setPassword] = useState('');
  const change = useMutation(
    trpc.auth.changeEmail.mutationOptions({
      onSuccess: () => {
        setNewEmail('');
        setPassword('');
      },
    }),
  );
  const errors = formErrors(change.error, ['newEmail', 'currentPassword']);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    change.mutate({
      newEmail: newEmail.trim(),
      ...(user.hasPassword ? { currentPassword: password } : {}),
    });
  };
  return (
    <section className="card" aria-labelledby="email-title">
      <h2 id="email-title">Change email</h2>
      <form className="stack" onSubmit={submit}>
        <Field label="New email" errors={errors.field('newEmail')}>
          {(control) => (
            <input
              {...control}
              type="email"
              autoComplete="email"
              required
              value={newEmail}
              onChange={(e) => setNewEmail(e.target.value)}
            />
          )}
        </Field>
        {user.hasPassword ? (
          <Field label="Current password" errors={errors.field('currentPassword')}>
            {(control) => (
              <input
                {...control}
                type="password"
                autoComplete="current-password"
                required
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            )}
          </Field>
        ) : null}
        <ErrorMessage>{errors.form}</ErrorMessage>
        <button type="submit" disabled={change.isPending}>
          Change email
        </button>
      </form>
      <p role="status" className="success">
        {change.isSuccess
          ? `We sent a confirmation link to ${change.variables.newEmail}. Your email stays ${user.email} until you open it.`
          : ''}
      </p>
    </section>
  );
}
