// By the package's own name, not from @trellis/api: the published react.d.ts then refers
// to index.d.ts, which carries the router types, instead of holding a second copy.
import type { AppRouter } from '@trellis/client';
import { createTRPCContext } from '@trpc/tanstack-react-query';

/** What `createTrellisReact` returns: `TRPCProvider`, `useTRPC`, `useTRPCClient`. */
export type TrellisReact = ReturnType<typeof createTRPCContext<AppRouter>>;

/**
 * React bindings for one Trellis server: render `<TRPCProvider trpcClient={createClient(…)}
 * queryClient={…}>` (`createClient` from `@trellis/client`), then `useTRPC()` gives typed
 * query and mutation options for TanStack Query
 * (`useQuery(trpc.tasks.list.queryOptions({ workspaceId }))`).
 */
export function createTrellisReact(): TrellisReact {
  return createTRPCContext<AppRouter>();
}
