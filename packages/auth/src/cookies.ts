/** The name of the browser session cookie over plain HTTP (localhost development). */
export const SESSION_COOKIE = 'trellis_session';

/**
 * The name of the session cookie over HTTPS. Browsers accept a `__Host-` cookie only if
 * it is Secure, has Path=/ and no Domain, so a sibling subdomain (or a page on plain
 * HTTP) cannot plant or overwrite one for this host.
 */
export const SECURE_SESSION_COOKIE = `__Host-${SESSION_COOKIE}`;

/** The name of the device cookie (a `trd_…` token) over plain HTTP. */
export const DEVICE_COOKIE = 'trellis_device';

/** The name of the device cookie over HTTPS. */
export const SECURE_DEVICE_COOKIE = `__Host-${DEVICE_COOKIE}`;

/** What a Set-Cookie header for the session needs to know about the deployment. */
export interface CookieOptions {
  /** Mark the cookie Secure (and `__Host-` prefix its name); true whenever the server is not on localhost. */
  secure: boolean;
}

/** The session cookie's name for a request of this security: the only one read or written. */
export function sessionCookieName({ secure }: CookieOptions): string {
  return secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
}

/** The device cookie's name for a request of this security. */
export function deviceCookieName({ secure }: CookieOptions): string {
  return secure ? SECURE_DEVICE_COOKIE : DEVICE_COOKIE;
}

function setCookie(
  name: string,
  value: string,
  maxAgeSeconds: number,
  sameSite: 'Lax' | 'Strict',
  secure: boolean,
): string {
  const parts = [
    `${name}=${value}`,
    'Path=/',
    'HttpOnly',
    `SameSite=${sameSite}`,
    `Max-Age=${Number.isFinite(maxAgeSeconds) ? Math.max(0, Math.floor(maxAgeSeconds)) : 0}`,
  ];
  if (secure) parts.push('Secure');
  return parts.join('; ');
}

/** The Set-Cookie value that stores a session token in the browser. */
export function sessionCookie(
  token: string,
  maxAgeSeconds: number,
  { secure }: CookieOptions,
): string {
  return setCookie(sessionCookieName({ secure }), token, maxAgeSeconds, 'Lax', secure);
}

/** The Set-Cookie value that removes the session cookie. */
export function clearedSessionCookie({ secure }: CookieOptions): string {
  return sessionCookie('', 0, { secure });
}

/**
 * The Set-Cookie value that stores a device token. Strict: it is only ever read by the
 * sign-in form posting to its own origin, never on a navigation from elsewhere.
 */
export function deviceCookie(
  token: string,
  maxAgeSeconds: number,
  { secure }: CookieOptions,
): string {
  return setCookie(deviceCookieName({ secure }), token, maxAgeSeconds, 'Strict', secure);
}

/** The value of one cookie in a Cookie header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq !== -1 && pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  return undefined;
}
