import { type FormEvent, type ReactNode, useState } from 'react';
import { ErrorMessage } from '../forms/Alert';
import { Field } from '../forms/Field';
import { formErrors } from '../forms/formErrors';

/** The values of the sign-in and sign-up forms. */
export interface Credentials {
  name: string;
  email: string;
  password: string;
}

/** The sign-in or sign-up form: Name (sign-up only), Email, Password. */
export function AuthForm({
  title,
  submitLabel,
  withName,
  pending,
  error,
  onSubmit,
  footer,
}: {
  title: string;
  submitLabel: string;
  withName: boolean;
  pending: boolean;
  error: unknown;
  onSubmit: (credentials: Credentials) => void;
  footer: ReactNode;
}) {
  const [values, setValues] = useState<Credentials>({ name: '', email: '', password: '' });
  const errors = formErrors(error, ['name', 'email', 'password']);
  const set = (key: keyof Credentials) => (event: { target: { value: string } }) =>
    setValues((old) => ({ ...old, [key]: event.target.value }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit(values);
  };
  return (
    <main className="auth-page">
      <form className="card auth-card" onSubmit={submit}>
        <h1 id="auth-title">{title}</h1>
        {withName ? (
          <Field label="Name" errors={errors.field('name')}>
            {(control) => (
              <input
                {...control}
                autoComplete="name"
                required
                value={values.name}
                onChange={set('name')}
              />
            )}
          </Field>
        ) : null}
        <Field label="Email" errors={errors.field('email')}>
          {(control) => (
            <input
              {...control}
              type="email"
              autoComplete="email"
              required
              value={values.email}
              onChange={set('email')}
            />
          )}
        </Field>
        <Field
          label="Password"
          errors={errors.field('password')}
          hint={withName ? 'At least 10 characters.' : undefined}
        >
          {(control) => (
            <input
              {...control}
              type="password"
              autoComplete={withName ? 'new-password' : 'current-password'}
              required
              value={values.password}
              onChange={set('password')}
            />
          )}
        </Field>
        <ErrorMessage>{errors.form}</ErrorMessage>
        <button type="submit" disabled={pending}>
          {submitLabel}
        </button>
        {footer}
      </form>
    </main>
  );
}
