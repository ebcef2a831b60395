import { z } from 'zod';

// Every list and stream hands out opaque cursors: base64url JSON of a position that the
// server validates against a schema when it comes back. Clients pass back what they were
// given; anything else is a BAD_REQUEST on the field, never a 500 or a silent restart.

const MAX_CURSOR_LENGTH = 1024;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The opaque cursor for a position. */
export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

/** The position inside a cursor when it has `shape`; null for anything else. */
export function decodeCursor<T>(cursor: string, shape: z.ZodType<T>): T | null {
  if (cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) return null;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const parsed = shape.safeParse(value);
  return parsed.success ? parsed.data : null;
}

/** An input field holding a cursor of `shape`; it parses to the position. */
export function zCursor<T>(shape: z.ZodType<T>, what = 'cursor') {
  return z
    .string()
    .max(MAX_CURSOR_LENGTH)
    .transform((cursor, ctx) => {
      const position = decodeCursor(cursor, shape);
      if (position === null) {
        ctx.addIssue({ code: 'custom', message: `Invalid ${what}: pass back one as received` });
        return z.NEVER;
      }
      return position;
    });
}

/**
 * The `direction` tRPC's infinite queries (`infiniteQueryOptions`, `useInfiniteQuery`) put
 * beside `cursor` in the input. Pages only go forward; accepting the key lets those helpers
 * call the strict list inputs, and a request for earlier pages is refused by name.
 */
export const zPageDirection = z
  .literal('forward', { error: 'Pages only go forward: pass back nextCursor' })
  .optional();

/** A position in the activity log (its `seq`): activity cursors and live event ids. */
export const logPosition = z
  .object({ seq: z.number().int().positive().max(Number.MAX_SAFE_INTEGER) })
  .strict();
