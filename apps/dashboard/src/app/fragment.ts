import { useEffect, useState } from 'react';

// Mailed links carry their single-use token in the fragment (`/reset-password#token=…`):
// browsers never send a fragment to a server, so the token stays out of access logs,
// proxies and Referer headers. The page still removes it from the address bar at once, so
// it is not left in history, a screenshot or a copied URL.

/** The `token` parameter of a fragment like `#token=trp_…`, or null. */
export function tokenFromFragment(hash: string): string | null {
  const token = new URLSearchParams(hash.replace(/^#/, '')).get('token')?.trim();
  return token ? token : null;
}

/** Removes the fragment from the address bar by rewriting this history entry. */
function forgetFragment(): void {
  if (window.location.hash === '') return;
  const { pathname, search } = window.location;
  window.history.replaceState(window.history.state, '', pathname + search);
}

/**
 * The page's `#token=` as it was when the page opened (or when another link was opened in
 * the same tab: only the fragment changes then, and the page is not reloaded), removed
 * from the address bar at once. The token lives on in memory, so retrying after a failure
 * still works; a reload has to use the mail's link again.
 */
export function useFragmentToken(): string | null {
  const [token, setToken] = useState(() => tokenFromFragment(window.location.hash));
  useEffect(() => {
    forgetFragment();
    const onHashChange = () => {
      const next = tokenFromFragment(window.location.hash);
      if (next) setToken(next);
      forgetFragment();
    };
    window.addEventListener('hashchange', onHashChange);
    return () => window.removeEventListener('hashchange', onHashChange);
  }, []);
  return token;
}
