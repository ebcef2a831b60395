/**
 * What a rate-limited procedure's answer said of its limit (the `RateLimit-Limit`,
 * `RateLimit-Remaining` and `RateLimit-Reset` headers): the most restrictive counter the
 * call counted against.
 */
export interface RateLimitInfo {
  /** Attempts allowed in the counter's window. */
  limit: number;
  /** Attempts left in it (0: the next one is refused until the reset). */
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
}

/** A header that must be a whole number of seconds or attempts, else undefined. */
function wholeNumber(headers: Headers, name: string): number | undefined {
  const value = headers.get(name)?.trim();
  return value !== undefined && /^\d{1,15}$/.test(value) ? Number(value) : undefined;
}

/** The three RateLimit-* headers, when all three are there and well formed. */
export function rateLimitOf(headers: Headers): RateLimitInfo | undefined {
  const limit = wholeNumber(headers, 'ratelimit-limit');
  const remaining = wholeNumber(headers, 'ratelimit-remaining');
  const resetSeconds = wholeNumber(headers, 'ratelimit-reset');
  if (limit === undefined || remaining === undefined || resetSeconds === undefined) {
    return undefined;
  }
  return { limit, remaining, resetSeconds };
}

/** An HTTP date as RFC 9110 says to send one: `Mon, 02 Mar 2026 10:01:30 GMT`. */
const IMF_FIXDATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * `Retry-After` in seconds: Trellis sends seconds; a proxy may send an HTTP date, which is
 * counted from `now` (never below 0). Anything else is no answer (`Date.parse` alone would
 * take `-5` for a year).
 */
export function retryAfterOf(headers: Headers, now: number = Date.now()): number | undefined {
  const seconds = wholeNumber(headers, 'retry-after');
  if (seconds !== undefined) return seconds;
  const value = headers.get('retry-after')?.trim() ?? '';
  const date = IMF_FIXDATE.test(value) ? Date.parse(value) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}
