import { fieldErrorsOf, messageOf } from '../app/errors';

/** A failed submission split for display: messages per field (keys without `prefix`), and
 * a message for the whole form when no field could carry it. */
export interface FormErrors {
  field: (name: string) => string[] | undefined;
  form: string | null;
}

/** Splits a mutation's error for a form whose fields are `fields`. */
export function formErrors(error: unknown, fields: readonly string[], prefix = ''): FormErrors {
  if (!error) return { field: () => undefined, form: null };
  const byPath = fieldErrorsOf(error);
  const known = (path: string) =>
    path.startsWith(prefix) && fields.includes(path.slice(prefix.length));
  const shown = Object.keys(byPath).filter(known);
  const unshown = Object.keys(byPath).filter((path) => !known(path));
  return {
    field: (name) => byPath[prefix + name],
    form:
      shown.length > 0 && unshown.length === 0
        ? null
        : unshown.length > 0
          ? unshown.map((path) => `${path || 'Input'}: ${byPath[path]?.join(' ')}`).join('; ')
          : messageOf(error),
  };
}
