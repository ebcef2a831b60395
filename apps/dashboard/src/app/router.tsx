import { type AnchorHTMLAttributes, type MouseEvent, useSyncExternalStore } from 'react';

// A router of our own on the History API: the dashboard has a dozen flat routes (see
// routes.ts), so a library's nesting, loaders and data APIs would be weight without use.
// The server answers every dashboard path with index.html, so deep links work.

const NAVIGATE_EVENT = 'trellis:navigate';

/** The current location as the app reads it: path and query string (with `?`, or ''). */
export interface Location {
  pathname: string;
  search: string;
}

let cached: Location | null = null;

function readLocation(): Location {
  const { pathname, search } = window.location;
  if (!cached || cached.pathname !== pathname || cached.search !== search) {
    cached = { pathname, search };
  }
  return cached;
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange);
  window.addEventListener(NAVIGATE_EVENT, onChange);
  return () => {
    window.removeEventListener('popstate', onChange);
    window.removeEventListener(NAVIGATE_EVENT, onChange);
  };
}

/** Goes to `to` (a path with optional query string) without reloading the page. */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const current = window.location.pathname + window.location.search;
  if (to === current) return;
  if (options.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.dispatchEvent(new Event(NAVIGATE_EVENT));
  if (!options.replace) window.scrollTo(0, 0);
}

/** The current location; re-renders the caller when it changes. */
export function useLocation(): Location {
  return useSyncExternalStore(subscribe, readLocation, readLocation);
}

function isPlainClick(event: MouseEvent<HTMLAnchorElement>): boolean {
  return event.button === 0 && !event.metaKey && !event.ctrlKey && !event.shiftKey && !event.altKey;
}

/** An ordinary link (it opens in a new tab, copies, and works without JS) that
 * navigates in place on a plain click. */
export function Link({
  to,
  onClick,
  ...rest
}: { to: string } & Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'>) {
  return (
    <a
      href={to}
      {...rest}
      onClick={(event) => {
        onClick?.(event);
        if (event.defaultPrevented || !isPlainClick(event)) return;
        event.preventDefault();
        navigate(to);
      }}
    />
  );
}
