import { ROLES, type Role } from '@trellis/db';

/**
 * True when `role` has at least the powers of `min` (owner > admin > member > viewer). A
 * role this code does not know (a value its type rules out, but a database row or a newer
 * version could still hold) has no powers, and meets no minimum: access fails closed.
 */
export function roleAtLeast(role: Role, min: Role): boolean {
  const held = ROLES.indexOf(role);
  return held !== -1 && held <= ROLES.indexOf(min);
}
