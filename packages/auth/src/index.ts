export type { ApiTokenGrant, ApiTokenInfo, RevokedApiToken } from './api-tokens.js';
export {
  API_TOKEN_PREFIX,
  createApiToken,
  isApiToken,
  listApiTokens,
  revokeApiToken,
  revokeApiTokensCreatedBy,
  validateApiToken,
} from './api-tokens.js';
export type { CookieOptions } from './cookies.js';
export {
  clearedSessionCookie,
  DEVICE_COOKIE,
  deviceCookie,
  deviceCookieName,
  readCookie,
  SECURE_DEVICE_COOKIE,
  SECURE_SESSION_COOKIE,
  SESSION_COOKIE,
  sessionCookie,
  sessionCookieName,
} from './cookies.js';
export type { TrustedDevice } from './devices.js';
export {
  DEVICE_TOKEN_PATTERN,
  DEVICE_TOKEN_PREFIX,
  deleteExpiredTrustedDevices,
  findTrustedDevice,
  forgetTrustedDevices,
  MAX_TRUSTED_DEVICES_PER_USER,
  TRUSTED_DEVICE_LIFETIME_MS,
  trustDevice,
} from './devices.js';
export type { ConsumedEmailToken, EmailTokenRefusal } from './email-tokens.js';
export {
  consumeEmailToken,
  deleteExpiredEmailTokens,
  EMAIL_TOKEN_PREFIXES,
  issueEmailToken,
  revokeEmailTokens,
} from './email-tokens.js';
export {
  freeHandle,
  HANDLE_MAX_LENGTH,
  HANDLE_MIN_LENGTH,
  HANDLE_PATTERN,
  handleBase,
  handleTaken,
  insertWithFreeHandle,
  normalizeHandle,
} from './handles.js';
export { signInWithOAuthIdentity } from './oauth/accounts.js';
export type {
  OAuthAttempt,
  OAuthClientSettings,
  OAuthFailure,
  OAuthIdentity,
  OAuthProvider,
} from './oauth/providers.js';
export {
  githubProvider,
  googleProvider,
  newOAuthAttempt,
  OAuthError,
  oidcProvider,
} from './oauth/providers.js';
export type { RequestSource } from './origin.js';
export { requestSource } from './origin.js';
export {
  hashPassword,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  verifyPassword,
} from './passwords.js';
export { constantTimeEqual, secureRandomString, sha256Hex } from './random.js';
export type { RateLimitRule, RateLimits, RateLimitVerdict } from './rate-limit.js';
export {
  clientAddressKey,
  DEFAULT_RATE_LIMITS,
  deleteExpiredRateLimits,
  hitRateLimit,
  refundRateLimit,
  resetRateLimit,
} from './rate-limit.js';
export type { AuthUser, SessionInfo, SessionOrigin, SessionPolicy } from './sessions.js';
export {
  createSession,
  DEFAULT_SESSION_POLICY,
  deleteExpiredSessions,
  invalidateAllUserSessions,
  invalidateOtherUserSessions,
  invalidateSession,
  invalidateUserSession,
  listUserSessions,
  MAX_SESSIONS_PER_USER,
  sessionExists,
  validateSessionToken,
} from './sessions.js';
export type { IssuedToken } from './tokens.js';
export { issueToken, parseToken, secretMatches } from './tokens.js';
export { endUnprovenAccess } from './unproven-account.js';
export type { AccountStatus } from './users.js';
export {
  accountStatus,
  authenticateWithPassword,
  changeUserEmail,
  checkUserPassword,
  createPasswordUser,
  emailTaken,
  findUserByEmail,
  findUserById,
  type HandledUser,
  insertUserRow,
  markEmailVerified,
  matchPassword,
  normalizeEmail,
  type PasswordMatch,
  passwordStillCurrent,
  setPasswordHash,
  updateProfile,
} from './users.js';
