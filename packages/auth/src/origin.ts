/** The request headers that say where a browser request came from. */
export interface RequestSource {
  /** The `Origin` header, if sent. */
  origin: string | undefined;
  /** The `Host` header the request was sent to. */
  host: string | undefined;
  /** The `Sec-Fetch-Site` header modern browsers send. */
  secFetchSite: string | undefined;
}

/**
 * Whether a browser request comes from this server's own pages: `same` (Origin matches
 * the Host, or is explicitly trusted), `missing` (no Origin to judge by), or `foreign`.
 * Used to refuse cookie-authenticated mutations from other sites (CSRF).
 */
export function requestSource(
  { origin, host, secFetchSite }: RequestSource,
  trustedOrigins: readonly string[] = [],
): 'same' | 'foreign' | 'missing' {
  // `same-site` is another origin on our site (a sibling subdomain): still not us.
  const crossOrigin = secFetchSite === 'cross-site' || secFetchSite === 'same-site';
  if (origin === undefined) return crossOrigin ? 'foreign' : 'missing';
  if (trustedOrigins.includes(origin)) return 'same';
  if (crossOrigin) return 'foreign';
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return 'foreign'; // includes the literal "null" origin of sandboxed frames
  }
  return host !== undefined && originHost === host.toLowerCase() ? 'same' : 'foreign';
}
