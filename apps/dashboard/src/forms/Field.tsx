import { type ReactNode, useId } from 'react';

/** The props a control needs to be tied to its label and its error. */
export interface ControlProps {
  id: string;
  'aria-invalid': boolean;
  'aria-describedby': string | undefined;
}

/** A labelled form control with the API's messages for it shown beneath. */
export function Field({
  label,
  errors,
  hint,
  children,
}: {
  label: string;
  errors?: readonly string[] | undefined;
  hint?: string;
  children: (control: ControlProps) => ReactNode;
}) {
  const id = useId();
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const invalid = errors !== undefined && errors.length > 0;
  const describedBy = [hint ? hintId : '', invalid ? errorId : ''].filter(Boolean).join(' ');
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-invalid': invalid, 'aria-describedby': describedBy || undefined })}
      {hint ? (
        <small id={hintId} className="hint">
          {hint}
        </small>
      ) : null}
      {invalid ? (
        <small id={errorId} className="field-error">
          {errors.join(' ')}
        </small>
      ) : null}
    </div>
  );
}
