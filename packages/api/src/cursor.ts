import type { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { fieldError } from './errors.js';

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

const zPositionNumber = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/**
 * A position in one workspace's activity log: an entry's number there (`workspace_seq`:
 * 1, 2, 3, …). What activity cursors and live event ids hold. It counts the workspace's
 * own entries only, so it tells nothing about other workspaces.
 */
export const logPosition = z.object({ at: zPositionNumber }).strict();

/**
 * A position as cursors and event ids issued before migration 0008 held it: an entry's
 * `seq` in the whole log. Still accepted from clients that kept one across the upgrade
 * (queries/activity.ts translates it); never issued any more.
 */
export const legacyLogPosition = z.object({ seq: zPositionNumber }).strict();

/** Either kind of position, as clients may send one back. */
export const anyLogPosition = z.union([logPosition, legacyLogPosition]);

/** A position a client sent back: a workspace entry number, or a pre-0008 global `seq`. */
export type SentLogPosition = z.infer<typeof anyLogPosition>;

/**
 * The BAD_REQUEST for a cursor or event id that decodes but names no position the
 * workspace ever had, on `field`, in the shape validation errors have.
 */
export function unknownPosition(field: string, what: string): TRPCError {
  return fieldError(field, `Unknown ${what}: pass back one as received`);
}
