export type { ApiTokenGrant, ApiTokenInfo } from './api-tokens.js';
export {
  API_TOKEN_PREFIX,
  createApiToken,
  isApiToken,
  listApiTokens,
  revokeApiToken,
  validateApiToken,
} from './api-tokens.js';
export type { CookieOptions } from './cookies.js';
export { clearedSessionCookie, readCookie, SESSION_COOKIE, sessionCookie } from './cookies.js';
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
export { forgetTrustedDevices } from './devices.js';
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
  invalidateSession,
  invalidateUserSession,
  listUserSessions,
  validateSessionToken,
} from './sessions.js';
export type { IssuedToken } from './tokens.js';
export { issueToken, parseToken, secretMatches } from './tokens.js';
export {
  authenticateWithPassword,
  createPasswordUser,
  emailTaken,
  normalizeEmail,
} from './users.js';
