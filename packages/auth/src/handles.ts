import type { Database, Kysely } from '@trellis/db';

// A handle is how others mention a person (`@jane-doe`). Every account has one, unique.
// New accounts get theirs the way migration 0017 gave existing ones: from the email's
// local part, with a number on a clash (`jane-doe`, `jane-doe2`, …).

/**
 * What a handle may be: lower-case letters, digits, `_` and `-`, 2–32 characters,
 * starting and ending with a letter or digit (so `@jane.` or `@jane-` in prose ends the
 * handle before the punctuation).
 */
export const HANDLE_PATTERN = /^[a-z0-9](?:[a-z0-9_-]{0,30}[a-z0-9])$/;
export const HANDLE_MIN_LENGTH = 2;
export const HANDLE_MAX_LENGTH = 32;

/** How many taken candidates a new account's handle skips before giving up (a race). */
const ATTEMPTS = 5;

/** The handle an email's local part gives before clashes are resolved (as migration 0017). */
export function handleBase(email: string): string {
  const local = email.split('@')[0] ?? '';
  const base = local
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '')
    .slice(0, 28)
    .replace(/[-_]+$/, '');
  return base.length >= 2 ? base : `user-${base}`.replace(/-$/, '');
}

/** Compares handles as the database stores them (lower case). */
export function normalizeHandle(handle: string): string {
  return handle.trim().toLowerCase();
}

/**
 * The first handle from `base` that no account holds: `base`, else `base2`, `base3`, …
 * (after the highest number taken). Read in the caller's transaction; another account
 * may still take it before commit, which `insertWithFreeHandle` retries.
 */
export async function freeHandle(db: Kysely<Database>, base: string): Promise<string> {
  const taken = await db
    .selectFrom('users')
    .select('handle')
    .where((eb) => eb.or([eb('handle', '=', base), eb('handle', 'like', `${base}%`)]))
    .execute();
  const numbered = new RegExp(`^${base.replace(/[-]/g, '\\-')}(\\d+)?$`);
  let highest = 0;
  for (const { handle } of taken) {
    const match = numbered.exec(handle);
    if (match) highest = Math.max(highest, match[1] ? Number(match[1]) : 1);
  }
  return highest === 0 ? base : `${base}${highest + 1}`;
}

/**
 * Inserts a user row with a free handle derived from its email. `insert` writes the row
 * with the handle given and answers whether it was written (it must skip, not fail, on a
 * taken handle: `onConflict(handle).doNothing()`), so a handle taken by a concurrent
 * sign-up between the read and the insert costs a retry, not the sign-up; a taken email
 * still fails as the database's unique violation. Answers the handle written.
 */
export async function insertWithFreeHandle(
  db: Kysely<Database>,
  email: string,
  insert: (handle: string) => Promise<boolean>,
): Promise<string> {
  const base = handleBase(email);
  for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
    const handle = await freeHandle(db, base);
    if (await insert(handle)) return handle;
  }
  throw new Error(`No free handle for "${base}" after ${ATTEMPTS} attempts`);
}

/** True when another account than `userId` holds `handle`. */
export async function handleTaken(
  db: Kysely<Database>,
  handle: string,
  userId: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('users')
    .select('id')
    .where('handle', '=', normalizeHandle(handle))
    .where('id', '<>', userId)
    .executeTakeFirst();
  return row !== undefined;
}
