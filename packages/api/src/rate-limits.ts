import { DEFAULT_RATE_LIMITS, hitRateLimit, type RateLimits } from '@trellis/auth';
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

/** Counts one hit against each key under its rule; throws TOO_MANY_REQUESTS if any is over. */
export async function enforceRateLimits(
  ctx: Context,
  limits: ReadonlyArray<{ key: string; rule: keyof RateLimits }>,
): Promise<void> {
  let retryAfter = 0;
  for (const { key, rule } of limits) {
    const verdict = await hitRateLimit(ctx.db, key, rateLimitRule(ctx, rule), ctx.now());
    if (!verdict.allowed) retryAfter = Math.max(retryAfter, verdict.retryAfterSeconds);
  }
  if (retryAfter > 0) throw tooManyRequests(ctx, retryAfter);
}
