/** The request headers that say where a browser request came from, and how it arrived. */
export interface RequestSource {
  /** The `Origin` header, if sent. */
  origin: string | undefined;
  /** The `Host` header the request was sent to. */
  host: string | undefined;
  /** The `Sec-Fetch-Site` header modern browsers send. */
  secFetchSite: string | undefined;
  /**
   * Whether this server is reached over HTTPS (the same decision as the cookie's Secure
   * flag): its own origin is `https://<Host>` then, `http://<Host>` otherwise.
   */
  secure: boolean;
}

// What a Host header may hold: a name or an IPv4/bracketed IPv6 address, and a port.
// Anything else (userinfo, a path) would make the URL parser read another host.
const HOST_PATTERN = /^[a-z0-9.\-[\]:]+$/i;

/** The origin (`scheme://host[:port]`, default ports dropped) of `url`, or null. */
function originOf(url: string): string | null {
  try {
    const { origin } = new URL(url);
    return origin === 'null' ? null : origin;
  } catch {
    return null; // includes the literal "null" origin of sandboxed frames
  }
}

/**
 * Whether a browser request comes from this server's own pages: `same` (Origin is this
 * server's origin — same scheme, host and port — or is explicitly trusted), `missing` (no
 * Origin to judge by), or `foreign`. Used to refuse cookie-authenticated mutations from
 * other sites (CSRF).
 */
export function requestSource(
  { origin, host, secFetchSite, secure }: RequestSource,
  trustedOrigins: readonly string[] = [],
): 'same' | 'foreign' | 'missing' {
  // `same-site` is another origin on our site (a sibling subdomain): still not us.
  const crossOrigin = secFetchSite === 'cross-site' || secFetchSite === 'same-site';
  if (origin === undefined) return crossOrigin ? 'foreign' : 'missing';
  if (trustedOrigins.includes(origin)) return 'same';
  if (crossOrigin || host === undefined || !HOST_PATTERN.test(host)) return 'foreign';
  // The scheme counts: a page at http://<host> (anyone on the network can write one) is
  // not the HTTPS site at https://<host>.
  const ours = originOf(`${secure ? 'https' : 'http'}://${host}`);
  const theirs = originOf(origin);
  return ours !== null && theirs === ours ? 'same' : 'foreign';
}
