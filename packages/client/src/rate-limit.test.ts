import { describe, expect, it } from 'vitest';
import { rateLimitOf, retryAfterOf } from './rate-limit.js';

describe('rateLimitOf', () => {
  it('reads the three RateLimit-* headers as numbers', () => {
    const headers = new Headers({
      'RateLimit-Limit': '10',
      'RateLimit-Remaining': '3',
      'RateLimit-Reset': '599',
    });
    expect(rateLimitOf(headers)).toEqual({ limit: 10, remaining: 3, resetSeconds: 599 });
  });

  it('gives nothing unless all three are whole numbers', () => {
    expect(rateLimitOf(new Headers({ 'RateLimit-Limit': '10' }))).toBeUndefined();
    const odd = { 'RateLimit-Limit': '10', 'RateLimit-Remaining': '-1', 'RateLimit-Reset': '5' };
    expect(rateLimitOf(new Headers(odd))).toBeUndefined();
  });
});

describe('retryAfterOf', () => {
  it('reads seconds, or an HTTP date counted from now', () => {
    expect(retryAfterOf(new Headers({ 'Retry-After': '120' }))).toBe(120);
    const now = Date.parse('2026-03-02T10:00:00Z');
    const date = new Headers({ 'Retry-After': 'Mon, 02 Mar 2026 10:01:30 GMT' });
    expect(retryAfterOf(date, now)).toBe(90);
    const past = new Headers({ 'Retry-After': 'Mon, 02 Mar 2026 09:00:00 GMT' });
    expect(retryAfterOf(past, now)).toBe(0);
    expect(retryAfterOf(new Headers())).toBeUndefined();
    for (const odd of ['soon', '-5', '1.5', '2026-03-02']) {
      expect(retryAfterOf(new Headers({ 'Retry-After': odd })), odd).toBeUndefined();
    }
  });
});
