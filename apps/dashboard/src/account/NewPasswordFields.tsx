import { Field } from '../forms/Field';

/** A new password typed twice. */
export interface NewPassword {
  password: string;
  confirm: string;
}

/** An empty NewPassword, for a form's initial state. */
export const NO_NEW_PASSWORD: NewPassword = { password: '', confirm: '' };

/** "New password" and "Confirm new password", with the API's messages for the first and
 * the mismatch (checked here, before anything is sent) on the second. */
export function NewPasswordFields({
  value,
  onChange,
  errors,
  mismatch,
}: {
  value: NewPassword;
  onChange: (value: NewPassword) => void;
  errors: readonly string[] | undefined;
  mismatch: boolean;
}) {
  return (
    <>
      <Field label="New password" errors={errors} hint="At least 10 characters.">
        {(control) => (
          <input
            {...control}
            type="password"
            autoComplete="new-password"
            required
            value={value.password}
            onChange={(e) => onChange({ ...value, password: e.target.value })}
          />
        )}
      </Field>
      <Field
        label="Confirm new password"
        errors={mismatch ? ['The two passwords differ.'] : undefined}
      >
        {(control) => (
          <input
            {...control}
            type="password"
            autoComplete="new-password"
            required
            value={value.confirm}
            onChange={(e) => onChange({ ...value, confirm: e.target.value })}
          />
        )}
      </Field>
    </>
  );
}
