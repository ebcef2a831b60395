import type { Database } from '@trellis/db';
import { isoNow, newId } from '@trellis/db';
import type { Kysely } from 'kysely';
import { verifyAgainstDummy, verifyPassword } from './passwords.js';
import type { AuthUser } from './sessions.js';

/** Emails compare case-insensitively; they are stored in this form. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * Creates a user who signs in with a password, given its hash (`hashPassword`, done
 * before any transaction so the slow hash holds no lock). A taken email surfaces as the
 * database's unique violation (see `isUniqueViolation`), which also covers two sign-ups
 * racing.
 */
export async function createPasswordUser(
  db: Kysely<Database>,
  input: { email: string; name: string; passwordHash: string },
  now: Date = new Date(),
): Promise<AuthUser> {
  const user = { id: newId(), email: normalizeEmail(input.email), name: input.name.trim() };
  await db
    .insertInto('users')
    .values({
      ...user,
      password_hash: input.passwordHash,
      created_at: isoNow(now),
      updated_at: isoNow(now),
    })
    .execute();
  return user;
}

/** True when an account already uses this email. */
export async function emailTaken(db: Kysely<Database>, email: string): Promise<boolean> {
  const row = await db
    .selectFrom('users')
    .select('id')
    .where('email', '=', normalizeEmail(email))
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * The user with this email and password, or null. Unknown emails cost the same argon2
 * work as wrong passwords, so neither answer nor timing tells them apart.
 */
export async function authenticateWithPassword(
  db: Kysely<Database>,
  email: string,
  password: string,
): Promise<AuthUser | null> {
  const row = await db
    .selectFrom('users')
    .select(['id', 'email', 'name', 'password_hash'])
    .where('email', '=', normalizeEmail(email))
    .executeTakeFirst();
  if (!row?.password_hash) return verifyAgainstDummy(password).then(() => null);
  if (!(await verifyPassword(row.password_hash, password))) return null;
  return { id: row.id, email: row.email, name: row.name };
}
