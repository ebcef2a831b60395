import { ROLES, type Role } from '@trellis/db';
import { describe, expect, it } from 'vitest';
import { roleAtLeast } from './roles.js';

// Each role and the minimum roles it satisfies: owner > admin > member > viewer.
const satisfies: Record<Role, readonly Role[]> = {
  owner: ['owner', 'admin', 'member', 'viewer'],
  admin: ['admin', 'member', 'viewer'],
  member: ['member', 'viewer'],
  viewer: ['viewer'],
};

describe('roleAtLeast', () => {
  for (const role of ROLES) {
    for (const min of ROLES) {
      const expected = satisfies[role].includes(min);
      it(`${role} ${expected ? 'meets' : 'does not meet'} a minimum of ${min}`, () => {
        expect(roleAtLeast(role, min)).toBe(expected);
      });
    }
  }

  it.each(['guest', 'Owner', '', undefined, null])(
    'grants nothing to a role it does not know (%s)',
    (unknown) => {
      for (const min of ROLES) expect(roleAtLeast(unknown as unknown as Role, min)).toBe(false);
    },
  );

  it('meets no minimum it does not know, even for an owner', () => {
    expect(roleAtLeast('owner', 'superuser' as unknown as Role)).toBe(false);
  });

  it('knows exactly the four contract roles, strongest first', () => {
    expect(ROLES).toEqual(['owner', 'admin', 'member', 'viewer']);
  });
});
