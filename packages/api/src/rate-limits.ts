import {
  DEFAULT_RATE_LIMITS,
  hitRateLimit,
  type RateLimitRule,
  type RateLimits,
  refundRateLimit,
  resetRateLimit,
} from '@trellis/auth';
import { TRPCError } from '@trpc/server';
import type { Context } from './context.js';
import { requestQuotas } from './rate-limit-headers.js';

/**
 * The procedures that count attempts against rate limits: every answer of theirs that got
 * as far as counting carries the RateLimit-* headers, and they can answer 429. Kept beside
 * `enforceRateLimits`, whose callers they are (rate-limits.test.ts checks each is a
 * procedure, and the server's tests that each sends the headers); REST and the OpenAPI
 * document read it.
 */
export const RATE_LIMITED_PROCEDURES = [
  'auth.signUp',
  'auth.signIn',
  'auth.resendVerification',
  'auth.requestPasswordReset',
  'auth.changePassword',
  'auth.changeEmail',
  'members.invite',
  'auth.updateProfile',
] as const;

const limited: ReadonlySet<string> = new Set(RATE_LIMITED_PROCEDURES);

/** Whether the procedure at `path` (e.g. `auth.signIn`) is rate-limited. */
export function isRateLimited(path: string): boolean {
  return limited.has(path);
}

/**
 * Limits on what the procedures add beside credentials (@trellis/auth's `RateLimits` holds
 * those), with their defaults; a deployment's `rateLimits` may carry them too.
 */
export interface ApiRateLimits {
  /** Profile changes by one account: each may ask whether a handle is taken (a CONFLICT). */
  profileChangesPerUser: RateLimitRule;
}

export const DEFAULT_API_RATE_LIMITS: ApiRateLimits = {
  profileChangesPerUser: { limit: 20, windowMs: 60 * 60 * 1000 },
};

/** Every rule a procedure may count against. */
export type RateLimitName = keyof RateLimits | keyof ApiRateLimits;

/** The rule for `name` in this deployment. */
export function rateLimitRule(ctx: Context, name: RateLimitName): RateLimitRule {
  const configured: Partial<RateLimits & ApiRateLimits> =
    ctx.config.rateLimits ?? DEFAULT_RATE_LIMITS;
  return configured[name] ?? { ...DEFAULT_RATE_LIMITS, ...DEFAULT_API_RATE_LIMITS }[name];
}

/** The TOO_MANY_REQUESTS answer, with `Retry-After` set on the response. */
async function tooManyRequests(ctx: Context, retryAfterSeconds: number): Promise<TRPCError> {
  (await requestQuotas(ctx)).refused(retryAfterSeconds);
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
 * What each counter says after the hit goes into the response's RateLimit-* headers.
 */
export async function enforceRateLimits(
  ctx: Context,
  limits: ReadonlyArray<{ key: string; rule: RateLimitName }>,
): Promise<CountedAttempt> {
  const quotas = await requestQuotas(ctx);
  const counted: string[] = [];
  const refund = async () => {
    for (const key of counted) {
      await refundRateLimit(ctx.db, key);
      quotas.refunded(key);
    }
  };
  for (const { key, rule } of limits) {
    const ruleNow = rateLimitRule(ctx, rule);
    const verdict = await hitRateLimit(ctx.db, key, ruleNow, ctx.now());
    counted.push(key);
    quotas.counted(key, ruleNow, verdict.hits, verdict.retryAfterSeconds);
    if (!verdict.allowed) {
      await refund();
      throw await tooManyRequests(ctx, verdict.retryAfterSeconds);
    }
  }
  return { refund };
}

/** Forgets every hit against `key` (e.g. a proven owner's earlier typos), headers included. */
export async function forgetRateLimit(ctx: Context, key: string): Promise<void> {
  await resetRateLimit(ctx.db, key);
  (await requestQuotas(ctx)).forgotten(key);
}
