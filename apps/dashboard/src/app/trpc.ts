import { QueryClient } from '@tanstack/react-query';
import { createClient, isTrellisError } from '@trellis/client';
import { createTrellisReact } from '@trellis/client/react';
import { navigate } from './router';
import { paths } from './routes';

/** Typed tRPC hooks for the dashboard's one server. */
export const { TRPCProvider, useTRPC, useTRPCClient } = createTrellisReact();

const AUTH_PAGES: readonly string[] = [paths.signIn, paths.signUp];

/** The one client: same origin, the session cookie instead of a token. A refused session
 * sends the user to sign in (unless already on the sign-in or sign-up page). */
export const trellisClient = createClient({
  url: window.location.origin,
  onUnauthorized: () => {
    if (AUTH_PAGES.includes(window.location.pathname)) return;
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
      retry: (count, error) => !(isTrellisError(error) && error.code !== undefined) && count < 1,
      refetchOnWindowFocus: true,
    },
  },
});
