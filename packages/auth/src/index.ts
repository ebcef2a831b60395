export type { CookieOptions } from './cookies.js';
export { clearedSessionCookie, readCookie, SESSION_COOKIE, sessionCookie } from './cookies.js';
export type { RequestSource } from './origin.js';
export { requestSource } from './origin.js';
export {
  hashPassword,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  verifyPassword,
} from './passwords.js';
export { hexDigestsEqual, secureRandomString, sha256Hex } from './random.js';
export type { AuthUser, SessionInfo, SessionOrigin, SessionPolicy } from './sessions.js';
export {
  createSession,
  DEFAULT_SESSION_POLICY,
  deleteExpiredSessions,
  invalidateAllUserSessions,
  invalidateSession,
  invalidateUserSession,
  listUserSessions,
  validateSessionToken,
} from './sessions.js';
export {
  authenticateWithPassword,
  createPasswordUser,
  emailTaken,
  normalizeEmail,
} from './users.js';
