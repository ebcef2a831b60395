import { describe, expect, it } from 'vitest';
import {
  clearedSessionCookie,
  DEVICE_COOKIE,
  deviceCookie,
  deviceCookieName,
  readCookie,
  SECURE_DEVICE_COOKIE,
  SECURE_SESSION_COOKIE,
  SESSION_COOKIE,
  sessionCookie,
  sessionCookieName,
} from './cookies.js';

const TOKEN = 'abcdefghijkmnpqrstuvwxyz.23456789abcdefghijkmnpqrstuvw';

/** The attributes after the name=value pair of a Set-Cookie value. */
function attributesOf(setCookie: string): string[] {
  return setCookie.split('; ').slice(1);
}

describe('sessionCookie', () => {
  it.each([Number.NaN, Number.POSITIVE_INFINITY, -5])(
    'writes Max-Age=0 rather than an invalid lifetime for %s',
    (maxAge) => {
      expect(sessionCookie(TOKEN, maxAge, { secure: false })).toContain('; Max-Age=0');
    },
  );

  it('stores the token under the session cookie name', () => {
    const cookie = sessionCookie(TOKEN, 3600, { secure: false });

    expect(SESSION_COOKIE).toBe('trellis_session');
    expect(cookie.split('; ')[0]).toBe(`trellis_session=${TOKEN}`);
  });

  it('is HttpOnly, SameSite=Lax, site-wide, with a Max-Age, and not Secure on localhost', () => {
    const cookie = sessionCookie(TOKEN, 3600, { secure: false });

    expect(attributesOf(cookie)).toEqual(['Path=/', 'HttpOnly', 'SameSite=Lax', 'Max-Age=3600']);
  });

  it('adds Secure and the __Host- prefix when asked to: no Domain, Path=/', () => {
    const cookie = sessionCookie(TOKEN, 3600, { secure: true });

    expect(cookie.split('; ')[0]).toBe(`__Host-trellis_session=${TOKEN}`);
    expect(attributesOf(cookie)).toEqual([
      'Path=/',
      'HttpOnly',
      'SameSite=Lax',
      'Max-Age=3600',
      'Secure',
    ]);
  });

  it('rounds a fractional Max-Age down to whole seconds', () => {
    expect(attributesOf(sessionCookie(TOKEN, 59.9, { secure: false }))).toContain('Max-Age=59');
  });

  it('never writes a negative Max-Age', () => {
    expect(attributesOf(sessionCookie(TOKEN, -5, { secure: false }))).toContain('Max-Age=0');
  });

  it('writes the full 30-day lifetime in seconds', () => {
    const thirtyDays = 30 * 24 * 60 * 60;

    expect(sessionCookie(TOKEN, thirtyDays, { secure: true })).toBe(
      `__Host-trellis_session=${TOKEN}; Path=/; HttpOnly; SameSite=Lax; Max-Age=2592000; Secure`,
    );
  });
});

describe('clearedSessionCookie', () => {
  it('empties the cookie and expires it at once', () => {
    expect(clearedSessionCookie({ secure: false })).toBe(
      'trellis_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0',
    );
  });

  it('keeps Secure and the __Host- name so that it overwrites the HTTPS cookie', () => {
    expect(clearedSessionCookie({ secure: true })).toBe(
      '__Host-trellis_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure',
    );
  });
});

describe('readCookie', () => {
  it('finds a cookie among several', () => {
    const header = `theme=dark; trellis_session=${TOKEN}; lang=en`;

    expect(readCookie(header, SESSION_COOKIE)).toBe(TOKEN);
  });

  it('finds the first and the last cookie of the header', () => {
    const header = 'a=1; b=2; c=3';

    expect(readCookie(header, 'a')).toBe('1');
    expect(readCookie(header, 'c')).toBe('3');
  });

  it('tolerates missing or extra whitespace around pairs', () => {
    expect(readCookie('a=1;b=2', 'b')).toBe('2');
    expect(readCookie('a=1 ;   b = 2  ', 'b')).toBe('2');
  });

  it('keeps "=" characters inside the value', () => {
    expect(readCookie('data=a=b==; x=1', 'data')).toBe('a=b==');
  });

  it('matches the whole name, not a prefix, suffix or different case', () => {
    const header = 'xtrellis_session=wrong1; trellis_session_old=wrong2; TRELLIS_SESSION=wrong3';

    expect(readCookie(header, SESSION_COOKIE)).toBeUndefined();
  });

  it('returns the first of duplicate cookies', () => {
    expect(readCookie('a=first; a=second', 'a')).toBe('first');
  });

  it('returns an empty string for a cookie with an empty value', () => {
    expect(readCookie('trellis_session=; a=1', SESSION_COOKIE)).toBe('');
  });

  it('returns undefined when the cookie is absent', () => {
    expect(readCookie('theme=dark; lang=en', SESSION_COOKIE)).toBeUndefined();
  });

  it('returns undefined for a missing or empty header', () => {
    expect(readCookie(undefined, SESSION_COOKIE)).toBeUndefined();
    expect(readCookie('', SESSION_COOKIE)).toBeUndefined();
  });

  it('skips pairs without "="', () => {
    expect(readCookie('trellis_session; a=1', SESSION_COOKIE)).toBeUndefined();
    expect(readCookie('garbage; a=1', 'a')).toBe('1');
  });

  it('reads back the token that sessionCookie wrote', () => {
    const [pair = ''] = sessionCookie(TOKEN, 60, { secure: true }).split(';');

    expect(readCookie(`other=1; ${pair}`, SECURE_SESSION_COOKIE)).toBe(TOKEN);
    expect(readCookie(`other=1; ${pair}`, SESSION_COOKIE)).toBeUndefined();
  });
});

describe('cookie names', () => {
  it('prefixes the names with __Host- over HTTPS only', () => {
    expect(sessionCookieName({ secure: true })).toBe('__Host-trellis_session');
    expect(sessionCookieName({ secure: false })).toBe('trellis_session');
    expect(deviceCookieName({ secure: true })).toBe(SECURE_DEVICE_COOKIE);
    expect(deviceCookieName({ secure: false })).toBe(DEVICE_COOKIE);
    expect(SECURE_DEVICE_COOKIE).toBe('__Host-trellis_device');
  });
});

describe('deviceCookie', () => {
  const DEVICE = 'trd_abcdefghijkmnpqrstuvwxyz23456789abcdefghijkmnpqrstuvwxyz';

  it('is HttpOnly, SameSite=Strict and site-wide; Secure and __Host- over HTTPS', () => {
    expect(deviceCookie(DEVICE, 3600, { secure: true })).toBe(
      `__Host-trellis_device=${DEVICE}; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600; Secure`,
    );
    expect(deviceCookie(DEVICE, 3600, { secure: false })).toBe(
      `trellis_device=${DEVICE}; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600`,
    );
  });
});
