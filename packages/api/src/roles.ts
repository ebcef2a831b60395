import { ROLES, type Role } from '@trellis/db';

/** True when `role` has at least the powers of `min` (owner > admin > member > viewer). */
export function roleAtLeast(role: Role, min: Role): boolean {
  return ROLES.indexOf(role) <= ROLES.indexOf(min);
}
