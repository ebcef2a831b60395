import { DEFAULT_RATE_LIMITS, hitRateLimit, type RateLimits, refundRateLimit } from '@trellis/auth';
import { TRPCError } from '@trpc/server';
import type { Context } from './context.js';

/** The rule for `name` in this deployment. */
export function rateLimitRule(ctx: Context, name: keyof RateLimits) {
  return (ctx.config.rateLimits ?? DEFAULT_RATE_LIMITS)[name];
}

/** The TOO_MANY_REQUESTS answer, with `Retry-After` set on the response. */
export function tooManyRequests(ctx: Context, retryAfterSeconds: number): TRPCError {
  ctx.setHeader('retry-after', String(retryAfterSeconds));
  return new TRPCError({
    code: 'TOO_MANY_REQUESTS',
    message: `Too many attempts; try again in ${retryAfterSeconds} seconds`,
  });
}

/** The hits one allowed attempt counted; `refund` takes them back (it turned out fine). */
export interface CountedAttempt {
  refund(): Promise<void>;
}

/**
 * Counts one hit against each key under its rule, in the order given; throws
 * TOO_MANY_REQUESTS at the first that is over. Hits are counted before the work they
 * guard, so concurrent attempts cannot slip past a limit. A refused attempt takes back
 * every hit it counted and never reaches the keys after the one that refused it: it did
 * no work, so it must not use up any counter, not even for a moment (otherwise one client,
 * refused by its own limit, could keep exhausting the shared ones, such as another
 * account's, with attempts in flight). So list the narrowest keys (this client's) first.
 */
export async function enforceRateLimits(
  ctx: Context,
  limits: ReadonlyArray<{ key: string; rule: keyof RateLimits }>,
): Promise<CountedAttempt> {
  const counted: string[] = [];
  const refund = async () => {
    for (const key of counted) await refundRateLimit(ctx.db, key);
  };
  for (const { key, rule } of limits) {
    const verdict = await hitRateLimit(ctx.db, key, rateLimitRule(ctx, rule), ctx.now());
    counted.push(key);
    if (!verdict.allowed) {
      await refund();
      throw tooManyRequests(ctx, verdict.retryAfterSeconds);
    }
  }
  return { refund };
}
