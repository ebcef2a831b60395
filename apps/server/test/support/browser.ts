// A tiny browser for end-to-end tests of redirect dances (OAuth/OIDC): it requests one
// URL at a time without following redirects, keeps cookies per host name and path as
// RFC 6265 says, and reads the forms and links of the HTML pages it gets.
import { expect } from 'vitest';

export interface Cookie {
  name: string;
  value: string;
  /** Like a browser, cookies belong to a host name, whatever the port. */
  hostname: string;
  path: string;
}

/** One request and its response, as the browser saw it. */
export interface Hop {
  method: 'GET' | 'POST';
  url: URL;
  status: number;
  /** The Location header as sent, and resolved against `url`. */
  rawLocation: string | null;
  location: URL | null;
  setCookies: string[];
  contentType: string | null;
  cacheControl: string | null;
  body: string;
}

/** RFC 6265 5.1.4: the default path is the request path up to its last `/`. */
function defaultCookiePath(pathname: string): string {
  const last = pathname.lastIndexOf('/');
  return last <= 0 ? '/' : pathname.slice(0, last);
}

/** RFC 6265 5.1.4 path-match. */
function pathMatches(requestPath: string, cookiePath: string): boolean {
  return (
    requestPath === cookiePath ||
    (requestPath.startsWith(cookiePath) &&
      (cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/'))
  );
}

/** Requests one at a time, keeping cookies as a browser does; follows no redirect itself. */
export class Browser {
  private jar: Cookie[] = [];
  readonly hops: Hop[] = [];

  /** One request, no redirect followed; cookies sent and stored as a browser would. */
  async request(url: URL | string, form?: URLSearchParams): Promise<Hop> {
    const target = new URL(url);
    const method = form ? 'POST' : 'GET';
    const headers: Record<string, string> = { accept: 'text/html,*/*' };
    const cookie = this.cookieHeader(target);
    if (cookie) headers.cookie = cookie;
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(target, {
      method,
      headers,
      body: form?.toString(),
      redirect: 'manual',
    });
    const setCookies = response.headers.getSetCookie();
    for (const header of setCookies) this.store(target, header);
    const rawLocation = response.headers.get('location');
    const hop: Hop = {
      method,
      url: target,
      status: response.status,
      rawLocation,
      location: rawLocation === null ? null : new URL(rawLocation, target),
      setCookies,
      contentType: response.headers.get('content-type'),
      cacheControl: response.headers.get('cache-control'),
      body: await response.text(),
    };
    this.hops.push(hop);
    return hop;
  }

  /** The Cookie header for `url`: longer paths first, as browsers order them. */
  cookieHeader(url: URL): string {
    return this.jar
      .filter((c) => c.hostname === url.hostname && pathMatches(url.pathname, c.path))
      .sort((a, b) => b.path.length - a.path.length)
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  /** The value of cookie `name` that would be sent to `url`. */
  cookie(url: URL | string, name: string): string | undefined {
    const target = new URL(url);
    return this.jar.find(
      (c) =>
        c.name === name && c.hostname === target.hostname && pathMatches(target.pathname, c.path),
    )?.value;
  }

  /** Puts a cookie back, as an attacker who copied it could. */
  setCookie(cookie: Cookie): void {
    this.jar = this.jar.filter((c) => !sameCookie(c, cookie));
    this.jar.push(cookie);
  }

  private store(url: URL, header: string): void {
    const [pair = '', ...attributes] = header.split(';');
    const eq = pair.indexOf('=');
    if (eq <= 0) return;
    const cookie: Cookie = {
      name: pair.slice(0, eq).trim(),
      value: pair.slice(eq + 1).trim(),
      hostname: url.hostname,
      path: defaultCookiePath(url.pathname),
    };
    let maxAge: number | undefined;
    let expires: number | undefined;
    for (const attribute of attributes) {
      const [key = '', ...rest] = attribute.split('=');
      const value = rest.join('=').trim();
      switch (key.trim().toLowerCase()) {
        case 'path':
          if (value.startsWith('/')) cookie.path = value;
          break;
        case 'max-age':
          maxAge = Number(value);
          break;
        case 'expires':
          expires = Date.parse(value);
          break;
      }
    }
    // Max-Age wins over Expires; either in the past deletes the cookie.
    const expired =
      maxAge !== undefined ? maxAge <= 0 : expires !== undefined && expires <= Date.now();
    this.jar = this.jar.filter((c) => !sameCookie(c, cookie));
    if (!expired) this.jar.push(cookie);
  }
}

function sameCookie(a: Cookie, b: Cookie): boolean {
  return a.name === b.name && a.hostname === b.hostname && a.path === b.path;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, entity: string) => {
    if (entity.startsWith('#x') || entity.startsWith('#X')) {
      return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    }
    if (entity.startsWith('#')) return String.fromCodePoint(Number(entity.slice(1)));
    return ENTITIES[entity.toLowerCase()] ?? whole;
  });
}

function attributesOf(tag: string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const match of tag.matchAll(/([\w-]+)(?:="([^"]*)")?/g)) {
    const [, name = '', value = ''] = match;
    attributes.set(name.toLowerCase(), decodeEntities(value));
  }
  return attributes;
}

/** The page's form: where it posts and the fields a browser would submit unchanged. */
export function formOf(hop: Hop): { action: URL; fields: URLSearchParams } {
  const match = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(hop.body);
  if (!match) throw new Error(`no form at ${hop.url}: ${hop.body.slice(0, 300)}`);
  const form = attributesOf(match[1] ?? '');
  expect(form.get('method')?.toLowerCase()).toBe('post');
  const fields = new URLSearchParams();
  for (const input of (match[2] ?? '').matchAll(/<input\b([^>]*)>/gi)) {
    const attributes = attributesOf(input[1] ?? '');
    const name = attributes.get('name');
    if (name) fields.set(name, attributes.get('value') ?? '');
  }
  return { action: new URL(form.get('action') ?? '', hop.url), fields };
}

/** The href of the link whose text is `text`. */
export function linkOf(hop: Hop, text: string): URL {
  for (const match of hop.body.matchAll(/<a\b([^>]*)>([^<]*)<\/a>/gi)) {
    if (match[2]?.trim() === text) {
      return new URL(attributesOf(match[1] ?? '').get('href') ?? '', hop.url);
    }
  }
  throw new Error(`no "${text}" link at ${hop.url}`);
}

/** The Set-Cookie header for cookie `name`, if the hop set one. */
export function setCookieFor(hop: Hop, name: string): string | undefined {
  return hop.setCookies.find((header) => header.startsWith(`${name}=`));
}
