import type { Database } from '@trellis/db';
import type { ExpressionBuilder, Kysely } from 'kysely';
import { constantTimeEqual, secureRandomString, sha256Hex } from './random.js';
import { withUserLock } from './user-lock.js';

// The session design of the Lucia guide (lucia-auth.com, "Sessions"): a token is
// `<id>.<secret>`; the id finds the row, only a SHA-256 of the secret is stored, and the
// secret is compared in constant time, so a database leak yields no usable token.

const DAY_MS = 24 * 60 * 60 * 1000;

/** How long sessions live. */
export interface SessionPolicy {
  /** A session unused this long expires (sliding). */
  inactivityMs: number;
  /** No session outlives this, however active (absolute). */
  absoluteMs: number;
  /** `last_verified_at` is written at most this often, to keep reads cheap. */
  refreshMs: number;
  /**
   * Live sessions one user may hold; starting one more ends the oldest. Bounds what a
   * stolen password (or a script) can pile up. `MAX_SESSIONS_PER_USER` when omitted.
   */
  maxPerUser?: number;
}

/** The default bound on one user's live sessions. */
export const MAX_SESSIONS_PER_USER = 30;

/** 10 days of inactivity, 30 days at most, refreshed at most hourly, 30 per user. */
export const DEFAULT_SESSION_POLICY: SessionPolicy = {
  inactivityMs: 10 * DAY_MS,
  absoluteMs: 30 * DAY_MS,
  refreshMs: 60 * 60 * 1000,
  maxPerUser: MAX_SESSIONS_PER_USER,
};

const ID_LENGTH = 24; // 120 bits: unguessable, but only a lookup key
const SECRET_LENGTH = 32; // 160 bits of CSPRNG entropy
const TOKEN_PATTERN = /^[a-z2-9]{24}\.[a-z2-9]{32}$/;

/** The user a valid session belongs to. */
export interface AuthUser {
  id: string;
  email: string;
  name: string;
}

/** A session as callers see it: never its secret. */
export interface SessionInfo {
  id: string;
  userId: string;
  createdAt: string;
  lastVerifiedAt: string;
  expiresAt: string;
  userAgent: string | null;
  ip: string | null;
}

/** Where a session was started from, kept so that users can recognise their sessions. */
export interface SessionOrigin {
  userAgent?: string | null;
  ip?: string | null;
}

interface SessionRow {
  id: string;
  user_id: string;
  created_at: string;
  last_verified_at: string;
  user_agent: string | null;
  ip: string | null;
}

function expiresAt(
  row: Pick<SessionRow, 'created_at' | 'last_verified_at'>,
  policy: SessionPolicy,
): Date {
  return new Date(
    Math.min(
      Date.parse(row.created_at) + policy.absoluteMs,
      Date.parse(row.last_verified_at) + policy.inactivityMs,
    ),
  );
}

/** The conditions under which a session row has expired by either rule. */
function expiredTerms(
  eb: ExpressionBuilder<Database, 'sessions'>,
  now: Date,
  policy: SessionPolicy,
) {
  return [
    eb('last_verified_at', '<=', new Date(now.getTime() - policy.inactivityMs).toISOString()),
    eb('created_at', '<=', new Date(now.getTime() - policy.absoluteMs).toISOString()),
  ];
}

function toInfo(row: SessionRow, policy: SessionPolicy): SessionInfo {
  return {
    id: row.id,
    userId: row.user_id,
    createdAt: row.created_at,
    lastVerifiedAt: row.last_verified_at,
    expiresAt: expiresAt(row, policy).toISOString(),
    userAgent: row.user_agent,
    ip: row.ip,
  };
}

/**
 * Starts a session for a user; the returned token is the only copy of its secret. In one
 * transaction (the caller's, when `db` is one) it also ends the user's expired sessions
 * and, past `policy.maxPerUser`, the oldest ones.
 */
export async function createSession(
  db: Kysely<Database>,
  userId: string,
  origin: SessionOrigin = {},
  { now = new Date(), policy = DEFAULT_SESSION_POLICY } = {},
): Promise<{ token: string; session: SessionInfo }> {
  const id = secureRandomString(ID_LENGTH);
  const secret = secureRandomString(SECRET_LENGTH);
  const row: SessionRow = {
    id,
    user_id: userId,
    created_at: now.toISOString(),
    last_verified_at: now.toISOString(),
    user_agent: origin.userAgent?.slice(0, 512) ?? null,
    ip: origin.ip ?? null,
  };
  const maxPerUser = Math.max(1, policy.maxPerUser ?? MAX_SESSIONS_PER_USER);
  await withUserLock(db, userId, async (trx) => {
    await trx
      .insertInto('sessions')
      .values({ ...row, secret_hash: sha256Hex(secret) })
      .execute();
    await trx
      .deleteFrom('sessions')
      .where('user_id', '=', userId)
      .where((eb) =>
        eb.or([
          ...expiredTerms(eb, now, policy),
          // Beyond the newest live others, with room for this one.
          eb(
            'id',
            'not in',
            trx
              .selectFrom('sessions')
              .select('id')
              .where('user_id', '=', userId)
              .where('id', '!=', id)
              .where((live) => live.not(live.or(expiredTerms(live, now, policy))))
              .orderBy('created_at', 'desc')
              .orderBy('id', 'desc')
              .limit(maxPerUser - 1),
          ),
        ]),
      )
      .where('id', '!=', id)
      .execute();
  });
  return { token: `${id}.${secret}`, session: toInfo(row, policy) };
}

/**
 * Resolves a token to its session and user, or null. Expired sessions are deleted on
 * sight; active ones have their inactivity window slid forward (at most once per
 * `refreshMs`).
 */
export async function validateSessionToken(
  db: Kysely<Database>,
  token: string,
  { now = new Date(), policy = DEFAULT_SESSION_POLICY } = {},
): Promise<{ session: SessionInfo; user: AuthUser } | null> {
  if (!TOKEN_PATTERN.test(token)) return null;
  const [id = '', secret = ''] = token.split('.');
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select([
      'sessions.id',
      'sessions.user_id',
      'sessions.secret_hash',
      'sessions.created_at',
      'sessions.last_verified_at',
      'sessions.user_agent',
      'sessions.ip',
      'users.email',
      'users.name',
    ])
    .where('sessions.id', '=', id)
    .executeTakeFirst();
  if (!row || !constantTimeEqual(sha256Hex(secret), row.secret_hash)) return null;

  if (now.getTime() >= expiresAt(row, policy).getTime()) {
    await invalidateSession(db, row.id);
    return null;
  }
  if (now.getTime() - Date.parse(row.last_verified_at) >= policy.refreshMs) {
    row.last_verified_at = now.toISOString();
    await db
      .updateTable('sessions')
      .set({ last_verified_at: row.last_verified_at })
      .where('id', '=', row.id)
      .execute();
  }
  return {
    session: toInfo(row, policy),
    user: { id: row.user_id, email: row.email, name: row.name },
  };
}

/** Ends one session at once. */
export async function invalidateSession(db: Kysely<Database>, sessionId: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', sessionId).execute();
}

/** Ends one of a user's sessions; false if the user has no such session. */
export async function invalidateUserSession(
  db: Kysely<Database>,
  userId: string,
  sessionId: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom('sessions')
    .where('id', '=', sessionId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Ends every session of a user; returns how many were ended. */
export async function invalidateAllUserSessions(
  db: Kysely<Database>,
  userId: string,
): Promise<number> {
  const result = await db.deleteFrom('sessions').where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** True while the session exists (not signed out, revoked, expired and swept, or ended). */
export async function sessionExists(db: Kysely<Database>, sessionId: string): Promise<boolean> {
  const row = await db
    .selectFrom('sessions')
    .select('id')
    .where('id', '=', sessionId)
    .executeTakeFirst();
  return row !== undefined;
}

/** Ends every session of a user except `keepSessionId`; returns how many were ended. */
export async function invalidateOtherUserSessions(
  db: Kysely<Database>,
  userId: string,
  keepSessionId: string,
): Promise<number> {
  const result = await db
    .deleteFrom('sessions')
    .where('user_id', '=', userId)
    .where('id', '!=', keepSessionId)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** A user's live sessions, newest first. Expired ones are left out. */
export async function listUserSessions(
  db: Kysely<Database>,
  userId: string,
  { now = new Date(), policy = DEFAULT_SESSION_POLICY } = {},
): Promise<SessionInfo[]> {
  const rows = await db
    .selectFrom('sessions')
    .select(['id', 'user_id', 'created_at', 'last_verified_at', 'user_agent', 'ip'])
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .execute();
  return rows
    .map((row) => toInfo(row, policy))
    .filter((s) => Date.parse(s.expiresAt) > now.getTime());
}

/**
 * Deletes every session that has expired by either rule; returns how many. Sessions are
 * also deleted when presented after expiry, but abandoned ones never are without this.
 */
export async function deleteExpiredSessions(
  db: Kysely<Database>,
  { now = new Date(), policy = DEFAULT_SESSION_POLICY } = {},
): Promise<number> {
  const result = await db
    .deleteFrom('sessions')
    .where((eb) => eb.or(expiredTerms(eb, now, policy)))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
