import type { Context } from '@trellis/api';

/**
 * The key under which packages/api (trpc.ts, `authenticate`) memoizes a request's
 * authentication in `ctx.once`. The log test (ops/logging.test.ts) fails if it moves.
 */
const PRINCIPAL_KEY = 'principal';

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

/** The user a principal acts for: the signed-in person, or the admin who made the API token. */
function userIdOf(principal: unknown): string | null {
  const id = field(field(principal, 'user'), 'id') ?? field(field(principal, 'grant'), 'createdBy');
  return typeof id === 'string' ? id : null;
}

/**
 * Calls `onUser` once the procedures have authenticated the context's credential (they do
 * it lazily, once per request, and only for procedures that need a user), without adding a
 * lookup of its own.
 */
export function watchUser(ctx: Context, onUser: (userId: string) => void): void {
  const once = ctx.once;
  ctx.once = <T>(key: string, compute: () => Promise<T>): Promise<T> => {
    const result = once(key, compute);
    if (key === PRINCIPAL_KEY) {
      result.then(
        (principal) => {
          const userId = userIdOf(principal);
          if (userId !== null) onUser(userId);
        },
        () => undefined,
      );
    }
    return result;
  };
}
