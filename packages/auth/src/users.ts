import type { Database, NewUser } from '@trellis/db';
import { dialectOf, isoNow, newId } from '@trellis/db';
import type { Kysely } from 'kysely';
import { insertWithFreeHandle } from './handles.js';
import { verifyAgainstDummy, verifyPassword } from './passwords.js';
import type { AuthUser } from './sessions.js';

/** Emails compare case-insensitively; they are stored in this form. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** A user with the handle others mention them by. */
export interface HandledUser extends AuthUser {
  handle: string;
}

/**
 * Creates a user who signs in with a password, given its hash (`hashPassword`, done
 * before any transaction so the slow hash holds no lock), with a free handle made from
 * the email. A taken email surfaces as the database's unique violation (see
 * `isUniqueViolation`), which also covers two sign-ups racing.
 */
export async function createPasswordUser(
  db: Kysely<Database>,
  input: { email: string; name: string; passwordHash: string },
  now: Date = new Date(),
): Promise<HandledUser> {
  const user = { id: newId(), email: normalizeEmail(input.email), name: input.name.trim() };
  const handle = await insertWithFreeHandle(db, user.email, (candidate) =>
    insertUserRow(db, {
      ...user,
      handle: candidate,
      password_hash: input.passwordHash,
      email_verified_at: null,
      created_at: isoNow(now),
      updated_at: isoNow(now),
    }),
  );
  return { ...user, handle };
}

/**
 * Inserts a user row unless its handle is taken (answers false then); any other clash,
 * a taken email above all, fails as the database's unique violation.
 */
export async function insertUserRow(
  db: Kysely<Database>,
  row: NewUser & { handle: string },
): Promise<boolean> {
  const written = await db
    .insertInto('users')
    .values(row)
    .onConflict((oc) => oc.column('handle').doNothing())
    .returning('id')
    .executeTakeFirst();
  return written !== undefined;
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

/** A password sign-in that passed: the user, and the hash the password matched. */
export interface PasswordMatch {
  user: HandledUser;
  /** Re-checked with `passwordStillCurrent` when the session is written. */
  passwordHash: string;
}

/**
 * The user with this email and password and the hash it matched, or null. Unknown emails
 * cost the same argon2 work as wrong passwords, so neither answer nor timing tells them
 * apart.
 */
export async function matchPassword(
  db: Kysely<Database>,
  email: string,
  password: string,
): Promise<PasswordMatch | null> {
  const row = await db
    .selectFrom('users')
    .select(['id', 'email', 'name', 'handle', 'password_hash'])
    .where('email', '=', normalizeEmail(email))
    .executeTakeFirst();
  if (!row?.password_hash) return verifyAgainstDummy(password).then(() => null);
  if (!(await verifyPassword(row.password_hash, password))) return null;
  return {
    user: { id: row.id, email: row.email, name: row.name, handle: row.handle },
    passwordHash: row.password_hash,
  };
}

/** The user with this email and password, or null (see `matchPassword`). */
export async function authenticateWithPassword(
  db: Kysely<Database>,
  email: string,
  password: string,
): Promise<AuthUser | null> {
  return (await matchPassword(db, email, password))?.user ?? null;
}

/**
 * True when the user's password is still `passwordHash`, holding the user's row until the
 * transaction (`trx`) ends. The argon2 check runs outside any transaction, so a reset, a
 * change or an account takeover may commit between it and the session's insert: such a
 * sign-in must not start a session, or it would outlive the "every session ends" of the
 * change. The row lock (PostgreSQL; SQLite write transactions are serial) orders the two.
 */
export async function passwordStillCurrent(
  trx: Kysely<Database>,
  userId: string,
  passwordHash: string | null,
): Promise<boolean> {
  const query = trx.selectFrom('users').select('password_hash').where('id', '=', userId);
  const row = await (dialectOf(trx) === 'postgres' ? query.forUpdate() : query).executeTakeFirst();
  return row !== undefined && row.password_hash === passwordHash;
}

/** What an account's owner sees about its sign-in: a verified email, a password; and its handle. */
export interface AccountStatus {
  emailVerified: boolean;
  hasPassword: boolean;
  handle: string;
}

/** Whether a user's email is verified, whether they have a password, and their handle; null if no such user. */
export async function accountStatus(
  db: Kysely<Database>,
  userId: string,
): Promise<AccountStatus | null> {
  const row = await db
    .selectFrom('users')
    .select(['email_verified_at', 'password_hash', 'handle'])
    .where('id', '=', userId)
    .executeTakeFirst();
  if (!row) return null;
  return {
    emailVerified: row.email_verified_at !== null,
    hasPassword: row.password_hash !== null,
    handle: row.handle,
  };
}

/** The account with this email (compared case-insensitively), for mailing it; or undefined. */
export async function findUserByEmail(
  db: Kysely<Database>,
  email: string,
): Promise<(AuthUser & AccountStatus) | undefined> {
  const row = await db
    .selectFrom('users')
    .select(['id', 'email', 'name', 'handle', 'email_verified_at', 'password_hash'])
    .where('email', '=', normalizeEmail(email))
    .executeTakeFirst();
  return row && toAccount(row);
}

/** The account with this id, or undefined. */
export async function findUserById(
  db: Kysely<Database>,
  userId: string,
): Promise<(AuthUser & AccountStatus) | undefined> {
  const row = await db
    .selectFrom('users')
    .select(['id', 'email', 'name', 'handle', 'email_verified_at', 'password_hash'])
    .where('id', '=', userId)
    .executeTakeFirst();
  return row && toAccount(row);
}

function toAccount(row: {
  id: string;
  email: string;
  name: string;
  handle: string;
  email_verified_at: string | null;
  password_hash: string | null;
}): AuthUser & AccountStatus {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    handle: row.handle,
    emailVerified: row.email_verified_at !== null,
    hasPassword: row.password_hash !== null,
  };
}

/**
 * Checks a signed-in user's password: the hash it matched (to re-check with
 * `passwordStillCurrent` when the change is written), false when wrong, or 'none' for an
 * account without a password (it signs in through OAuth/OIDC).
 */
export async function checkUserPassword(
  db: Kysely<Database>,
  userId: string,
  password: string,
): Promise<string | false | 'none'> {
  const row = await db
    .selectFrom('users')
    .select('password_hash')
    .where('id', '=', userId)
    .executeTakeFirst();
  if (!row?.password_hash) return 'none';
  return (await verifyPassword(row.password_hash, password)) ? row.password_hash : false;
}

/**
 * Marks a user's email as verified, if `email` is still their address (a link mailed to
 * an address the account no longer uses proves nothing about it). False when it is not.
 */
export async function markEmailVerified(
  db: Kysely<Database>,
  userId: string,
  email: string,
  now: Date = new Date(),
): Promise<boolean> {
  const result = await db
    .updateTable('users')
    .set((eb) => ({
      email_verified_at: eb.fn.coalesce('email_verified_at', eb.val(isoNow(now))),
      updated_at: isoNow(now),
    }))
    .where('id', '=', userId)
    .where('email', '=', normalizeEmail(email))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Changes a user's name and/or handle (already checked against the rules); answers the
 * account as it now is, or undefined when it is gone. A handle another account holds
 * surfaces as the database's unique violation (`isUniqueViolation`).
 */
export async function updateProfile(
  db: Kysely<Database>,
  userId: string,
  change: { name?: string | undefined; handle?: string | undefined },
  now: Date = new Date(),
): Promise<HandledUser | undefined> {
  return db
    .updateTable('users')
    .set({
      ...(change.name !== undefined && { name: change.name.trim() }),
      ...(change.handle !== undefined && { handle: change.handle }),
      updated_at: isoNow(now),
    })
    .where('id', '=', userId)
    .returning(['id', 'email', 'name', 'handle'])
    .executeTakeFirst();
}

/** Replaces a user's password hash (`hashPassword`, computed before the transaction). */
export async function setPasswordHash(
  db: Kysely<Database>,
  userId: string,
  passwordHash: string,
  now: Date = new Date(),
): Promise<void> {
  await db
    .updateTable('users')
    .set({ password_hash: passwordHash, updated_at: isoNow(now) })
    .where('id', '=', userId)
    .execute();
}

/**
 * Gives a user a new, verified email. Another account holding it surfaces as the
 * database's unique violation (`isUniqueViolation`).
 */
export async function changeUserEmail(
  db: Kysely<Database>,
  userId: string,
  email: string,
  now: Date = new Date(),
): Promise<void> {
  await db
    .updateTable('users')
    .set({ email: normalizeEmail(email), email_verified_at: isoNow(now), updated_at: isoNow(now) })
    .where('id', '=', userId)
    .execute();
}
