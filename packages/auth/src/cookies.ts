/** The name of the browser session cookie. */
export const SESSION_COOKIE = 'trellis_session';

/** What a Set-Cookie header for the session needs to know about the deployment. */
export interface CookieOptions {
  /** Mark the cookie Secure; true whenever the server is not on localhost. */
  secure: boolean;
}

/** The Set-Cookie value that stores a session token in the browser. */
export function sessionCookie(
  token: string,
  maxAgeSeconds: number,
  { secure }: CookieOptions,
): string {
  const parts = [
    `${SESSION_COOKIE}=${token}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    `Max-Age=${Number.isFinite(maxAgeSeconds) ? Math.max(0, Math.floor(maxAgeSeconds)) : 0}`,
  ];
  if (secure) parts.push('Secure');
  return parts.join('; ');
}

/** The Set-Cookie value that removes the session cookie. */
export function clearedSessionCookie({ secure }: CookieOptions): string {
  return sessionCookie('', 0, { secure });
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
