import type { RateLimitRule } from '@trellis/auth';
import type { Context } from './context.js';

/**
 * The response fields of a rate-limited procedure: the three of
 * draft-ietf-httpapi-ratelimit-headers-06 (December 2022, the last revision to define them
 * as separate fields; later ones fold them into one `RateLimit` field), each a whole
 * number, and `Retry-After` (RFC 9110, in seconds) on a 429.
 */
export const RATE_LIMIT_HEADERS = {
  /** The most restrictive counter's limit for its window. */
  limit: 'RateLimit-Limit',
  /** Attempts it has left in the window (0 when the next one would be refused). */
  remaining: 'RateLimit-Remaining',
  /** Seconds until its window resets. */
  reset: 'RateLimit-Reset',
  /** Seconds to wait before trying again; only on TOO_MANY_REQUESTS. */
  retryAfter: 'Retry-After',
} as const;

interface Quota {
  limit: number;
  hits: number;
  resetSeconds: number;
  windowSeconds: number;
}

const remainingOf = (quota: Quota) => Math.max(0, quota.limit - quota.hits);

/**
 * The counters one HTTP request counted against, and the headers that report them. The
 * calls of a batch share one response, so its headers speak for every counter any of them
 * counted against: the most restrictive one (the fewest attempts left; of those, the
 * latest reset), and on a 429 the longest `Retry-After`.
 */
export class RequestQuotas {
  readonly #quotas = new Map<string, Quota>();
  #retryAfterSeconds = 0;

  constructor(private readonly setHeader: Context['setHeader']) {}

  counted(key: string, rule: RateLimitRule, hits: number, resetSeconds: number): void {
    const windowSeconds = Math.ceil(rule.windowMs / 1000);
    this.#quotas.set(key, { limit: rule.limit, hits, resetSeconds, windowSeconds });
    this.#publish();
  }

  refunded(key: string): void {
    const quota = this.#quotas.get(key);
    if (!quota) return;
    quota.hits = Math.max(0, quota.hits - 1);
    this.#publish();
  }

  /** The counter was deleted: its next hit opens a whole new window. */
  forgotten(key: string): void {
    const quota = this.#quotas.get(key);
    if (!quota) return;
    quota.hits = 0;
    quota.resetSeconds = quota.windowSeconds;
    this.#publish();
  }

  refused(retryAfterSeconds: number): void {
    this.#retryAfterSeconds = Math.max(this.#retryAfterSeconds, retryAfterSeconds);
    this.setHeader(RATE_LIMIT_HEADERS.retryAfter, String(this.#retryAfterSeconds));
  }

  #publish(): void {
    let shown: Quota | undefined;
    for (const quota of this.#quotas.values()) {
      const fewer = shown === undefined || remainingOf(quota) < remainingOf(shown);
      const later =
        shown !== undefined &&
        remainingOf(quota) === remainingOf(shown) &&
        quota.resetSeconds > shown.resetSeconds;
      if (fewer || later) shown = quota;
    }
    if (!shown) return;
    this.setHeader(RATE_LIMIT_HEADERS.limit, String(shown.limit));
    this.setHeader(RATE_LIMIT_HEADERS.remaining, String(remainingOf(shown)));
    this.setHeader(RATE_LIMIT_HEADERS.reset, String(shown.resetSeconds));
  }
}

/**
 * This request's counters. Through `ctx.once`, the per-request memo: the calls of a batch
 * share it, and so do the contexts procedure builders derive from the request's own.
 */
export function requestQuotas(ctx: Context): Promise<RequestQuotas> {
  return ctx.once('rate-limit-quotas', async () => new RequestQuotas(ctx.setHeader));
}
