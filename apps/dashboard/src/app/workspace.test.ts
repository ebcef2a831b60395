import { describe, expect, it } from 'vitest';
import { atLeast, type Role } from './workspace';

const ROLES: Role[] = ['viewer', 'member', 'admin', 'owner'];

describe('atLeast', () => {
  it('orders the roles viewer < member < admin < owner', () => {
    for (const [i, role] of ROLES.entries()) {
      for (const [j, least] of ROLES.entries()) {
        expect(atLeast(role, least), `${role} at least ${least}`).toBe(i >= j);
      }
    }
  });
});
