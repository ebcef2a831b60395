import { fieldErrorsOf, messageOf } from '../app/errors';

/** Why the server refused a link's token: its message for `token` (expired, used, not
 * valid) when it named the field, else the error's own message. */
export function linkRefusalOf(error: unknown): string {
  return fieldErrorsOf(error).token?.join(' ') ?? messageOf(error);
}
