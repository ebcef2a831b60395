import { describe, expect, it } from 'vitest';
import { clearedSessionCookie, readCookie, SESSION_COOKIE, sessionCookie } from './cookies.js';

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

  it('adds Secure when asked to', () => {
    const cookie = sessionCookie(TOKEN, 3600, { secure: true });

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
      `trellis_session=${TOKEN}; Path=/; HttpOnly; SameSite=Lax; Max-Age=2592000; Secure`,
    );
  });
});

describe('clearedSessionCookie', () => {
  it('empties the cookie and expires it at once', () => {
    expect(clearedSessionCookie({ secure: false })).toBe(
      'trellis_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0',
    );
  });

  it('keeps Secure so that it overwrites a Secure cookie', () => {
    expect(clearedSessionCookie({ secure: true })).toBe(
      'trellis_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure',
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

    expect(readCookie(`other=1; ${pair}`, SESSION_COOKIE)).toBe(TOKEN);
  });
});
