import { QueryClient } from '@tanstack/react-query';
import { createClient, isTrellisError } from '@trellis/client';
import { createTrellisReact } from '@trellis/client/react';
import { navigate } from './router';
import { PUBLIC_PAGES, parseRoute, paths } from './routes';

/** Typed tRPC hooks for the dashboard's one server. */
export const { TRPCProvider, useTRPC, useTRPCClient } = createTrellisReact();

/** The one client: same origin, the session cookie instead of a token. A refused session
 * sends the user to sign in, except from a page anyone may open (sign-up, a mailed link's
 * page): there, being signed out is expected, and leaving would lose the link's token. */
export const trellisClient = createClient({
  url: window.location.origin,
  onUnauthorized: () => {
    if (PUBLIC_PAGES.includes(parseRoute(window.location.pathname).page)) return;
    queryClient.clear();
    navigate(paths.signIn, { replace: true });
  },
});

/** The query cache. Failures the user caused (4xx) are not retried; the client already
 * retries network failures and 502/503/504 for queries. */
export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 10_000,
      // Once more only when no Trellis answer decided it (network, timeout, a proxy's page).
      retry: (count, error) =>
        count < 1 &&
        !(isTrellisError(error) && error.status !== undefined && error.code !== 'NOT_TRELLIS'),
      refetchOnWindowFocus: true,
    },
  },
});
