import { useQuery } from '@tanstack/react-query';
import { isTrellisError } from '@trellis/client';
import { useTRPC } from './trpc';
import type { User } from './user';

/**
 * On a page anyone may open: the signed-in person, null when nobody is signed in, or
 * undefined while that is not known yet (or the server could not say).
 */
export function useSignedInUser(): User | null | undefined {
  const trpc = useTRPC();
  const me = useQuery(trpc.auth.me.queryOptions());
  if (me.data) return me.data.user;
  return isTrellisError(me.error) && me.error.code === 'UNAUTHORIZED' ? null : undefined;
}
