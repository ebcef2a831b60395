import {
  ArcticFetchError,
  CodeChallengeMethod,
  Google,
  generateCodeVerifier,
  OAuth2Client,
  OAuth2RequestError,
  type OAuth2Tokens,
} from 'arctic';
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';
import { secureRandomString } from '../random.js';

// One shape for every way of signing in elsewhere. Each attempt carries a fresh state,
// PKCE verifier (S256) and nonce; the server keeps them in a short-lived cookie.

/** Who the provider says signed in. `subject` is the provider's stable user id. */
export interface OAuthIdentity {
  subject: string;
  email: string | null;
  /** True only when the provider itself vouches for `email`. */
  emailVerified: boolean;
  name: string | null;
}

/** The per-attempt secrets that bind a callback to the browser that started it. */
export interface OAuthAttempt {
  state: string;
  codeVerifier: string;
  nonce: string;
}

/** Fresh secrets for one sign-in attempt (160-bit state and nonce, 256-bit PKCE verifier). */
export function newOAuthAttempt(): OAuthAttempt {
  return {
    state: secureRandomString(32),
    codeVerifier: generateCodeVerifier(),
    nonce: secureRandomString(32),
  };
}

/** A configured sign-in provider. */
export interface OAuthProvider {
  /** The URL segment: `/auth/oauth/<id>`. */
  id: string;
  /** What a sign-in button says. */
  name: string;
  /** Where to send the browser to sign in. */
  authorizationUrl(attempt: OAuthAttempt): Promise<URL>;
  /** Exchanges the callback's code for tokens and reads the identity from them. */
  identify(code: string, attempt: OAuthAttempt): Promise<OAuthIdentity>;
}

/** Client credentials registered with a provider. */
export interface OAuthClientSettings {
  clientId: string;
  clientSecret: string;
  /** Our callback URL, exactly as registered with the provider. */
  redirectUri: string;
}

/** Why a sign-in through a provider failed: `rejected` is the user's or the code's fault. */
export type OAuthFailure = 'rejected' | 'unverified_email' | 'provider_unavailable';

/** A sign-in through a provider that did not produce an identity. */
export class OAuthError extends Error {
  override name = 'OAuthError';
  constructor(
    readonly failure: OAuthFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const FETCH_TIMEOUT_MS = 10_000;

/** Anything unexpected from a provider (a missing field, a thrown TypeError) is its fault. */
function providerFailure(error: unknown): never {
  if (error instanceof OAuthError) throw error;
  const what = error instanceof ArcticFetchError ? 'could not be reached' : 'answered unexpectedly';
  throw new OAuthError('provider_unavailable', `The sign-in provider ${what}`, { cause: error });
}

/** Arctic's errors, sorted into the user's fault (a bad or replayed code) and the provider's. */
function exchangeFailed(error: unknown): never {
  if (error instanceof OAuth2RequestError) {
    throw new OAuthError('rejected', `The provider refused the sign-in (${error.code})`, {
      cause: error,
    });
  }
  return providerFailure(error);
}

/** A provider whose every failure is an OAuthError, so callers can tell them from bugs. */
function guarded(provider: OAuthProvider): OAuthProvider {
  return {
    id: provider.id,
    name: provider.name,
    authorizationUrl: (attempt) => provider.authorizationUrl(attempt).catch(providerFailure),
    identify: (code, attempt) => provider.identify(code, attempt).catch(providerFailure),
  };
}

async function fetchJson(url: string, init: RequestInit = {}): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  } catch (error) {
    throw new OAuthError('provider_unavailable', 'The sign-in provider could not be reached', {
      cause: error,
    });
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new OAuthError(
      'provider_unavailable',
      `The sign-in provider answered ${response.status} for ${new URL(url).pathname}`,
    );
  }
  try {
    return await response.json();
  } catch (error) {
    throw new OAuthError(
      'provider_unavailable',
      `The sign-in provider answered ${new URL(url).pathname} with something other than JSON`,
      { cause: error },
    );
  }
}

function stringClaim(claims: Record<string, unknown>, name: string): string | null {
  const value = claims[name];
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/** The OpenID Connect endpoints of one issuer. */
interface OidcEndpoints {
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  jwksUri: string;
  userinfoEndpoint: string | null;
}

/**
 * Reads the identity from a code exchange's ID token (signature checked against the
 * issuer's keys, plus issuer, audience, expiry and nonce), filling in email and name from
 * the userinfo endpoint when the token leaves them out.
 */
function oidcIdentityReader(endpoints: () => Promise<OidcEndpoints>, clientId: string) {
  let keys: { uri: string; set: ReturnType<typeof createRemoteJWKSet> } | undefined;
  return async (tokens: OAuth2Tokens, nonce: string): Promise<OAuthIdentity> => {
    const ep = await endpoints();
    if (keys?.uri !== ep.jwksUri)
      keys = { uri: ep.jwksUri, set: createRemoteJWKSet(new URL(ep.jwksUri)) };
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(tokens.idToken(), keys.set, {
        issuer: ep.issuer,
        audience: clientId,
      }));
    } catch (error) {
      throw new OAuthError('rejected', 'The provider returned an ID token that does not verify', {
        cause: error,
      });
    }
    if (claims.nonce !== nonce)
      throw new OAuthError('rejected', 'The ID token is for another sign-in');
    const subject = claims.sub;
    if (!subject) throw new OAuthError('rejected', 'The ID token names no subject');

    let profile: Record<string, unknown> = claims;
    if (stringClaim(claims, 'email') === null && ep.userinfoEndpoint) {
      const info = (await fetchJson(ep.userinfoEndpoint, {
        headers: { authorization: `Bearer ${tokens.accessToken()}`, accept: 'application/json' },
      })) as Record<string, unknown>;
      // OIDC Core 5.3.2: userinfo for another subject must not be used.
      if (info.sub !== subject) throw new OAuthError('rejected', 'userinfo names another subject');
      profile = { ...info, ...claims };
    }
    return {
      subject,
      email: stringClaim(profile, 'email'),
      // Some issuers (AWS Cognito) send the boolean as a string.
      emailVerified: profile.email_verified === true || profile.email_verified === 'true',
      name: stringClaim(profile, 'name'),
    };
  };
}

function stripSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** Any OpenID Connect issuer, found by standard discovery (`/.well-known/openid-configuration`). */
export function oidcProvider(
  settings: OAuthClientSettings & { id: string; name: string; issuer: string },
): OAuthProvider {
  const client = new OAuth2Client(settings.clientId, settings.clientSecret, settings.redirectUri);
  let discovery: Promise<OidcEndpoints> | undefined;
  const endpoints = () => {
    discovery ??= discover(settings.issuer).catch((error: unknown) => {
      discovery = undefined; // try again on the next sign-in
      throw error;
    });
    return discovery;
  };
  const readIdentity = oidcIdentityReader(endpoints, settings.clientId);
  return guarded({
    id: settings.id,
    name: settings.name,
    async authorizationUrl({ state, codeVerifier, nonce }) {
      const { authorizationEndpoint } = await endpoints();
      const url = client.createAuthorizationURLWithPKCE(
        authorizationEndpoint,
        state,
        CodeChallengeMethod.S256,
        codeVerifier,
        ['openid', 'email', 'profile'],
      );
      url.searchParams.set('nonce', nonce);
      return url;
    },
    async identify(code, { codeVerifier, nonce }) {
      const { tokenEndpoint } = await endpoints();
      const tokens = await client
        .validateAuthorizationCode(tokenEndpoint, code, codeVerifier)
        .catch(exchangeFailed);
      return readIdentity(tokens, nonce);
    },
  });
}

async function discover(issuer: string): Promise<OidcEndpoints> {
  const url = `${stripSlash(issuer)}/.well-known/openid-configuration`;
  const doc = (await fetchJson(url, { headers: { accept: 'application/json' } })) as Record<
    string,
    unknown
  >;
  const field = (name: string) => {
    const value = stringClaim(doc, name);
    if (!value) throw new OAuthError('provider_unavailable', `Discovery document lacks ${name}`);
    return value;
  };
  // OIDC Discovery 4.3: the document must be for the issuer we asked about.
  if (stripSlash(field('issuer')) !== stripSlash(issuer)) {
    throw new OAuthError('provider_unavailable', 'Discovery document is for another issuer');
  }
  return {
    issuer: field('issuer'),
    authorizationEndpoint: field('authorization_endpoint'),
    tokenEndpoint: field('token_endpoint'),
    jwksUri: field('jwks_uri'),
    userinfoEndpoint: stringClaim(doc, 'userinfo_endpoint'),
  };
}

const GOOGLE_ENDPOINTS: OidcEndpoints = {
  issuer: 'https://accounts.google.com',
  authorizationEndpoint: 'https://accounts.google.com/o/oauth2/v2/auth',
  tokenEndpoint: 'https://oauth2.googleapis.com/token',
  jwksUri: 'https://www.googleapis.com/oauth2/v3/certs',
  userinfoEndpoint: 'https://openidconnect.googleapis.com/v1/userinfo',
};

/** Sign in with Google (arctic's client; ID token checked like any OIDC issuer's). */
export function googleProvider(settings: OAuthClientSettings): OAuthProvider {
  const google = new Google(settings.clientId, settings.clientSecret, settings.redirectUri);
  const readIdentity = oidcIdentityReader(async () => GOOGLE_ENDPOINTS, settings.clientId);
  return guarded({
    id: 'google',
    name: 'Google',
    async authorizationUrl({ state, codeVerifier, nonce }) {
      const url = google.createAuthorizationURL(state, codeVerifier, [
        'openid',
        'email',
        'profile',
      ]);
      url.searchParams.set('nonce', nonce);
      return url;
    },
    async identify(code, { codeVerifier, nonce }) {
      const tokens = await google
        .validateAuthorizationCode(code, codeVerifier)
        .catch(exchangeFailed);
      return readIdentity(tokens, nonce);
    },
  });
}

const GITHUB = {
  authorizationEndpoint: 'https://github.com/login/oauth/authorize',
  tokenEndpoint: 'https://github.com/login/oauth/access_token',
  api: 'https://api.github.com',
};

/**
 * Sign in with GitHub. Arctic's `GitHub` class sends no PKCE challenge, so its generic
 * client is used with GitHub's endpoints: GitHub accepts PKCE (S256) since 2025.
 */
export function githubProvider(settings: OAuthClientSettings): OAuthProvider {
  const client = new OAuth2Client(settings.clientId, settings.clientSecret, settings.redirectUri);
  return guarded({
    id: 'github',
    name: 'GitHub',
    async authorizationUrl({ state, codeVerifier }) {
      return client.createAuthorizationURLWithPKCE(
        GITHUB.authorizationEndpoint,
        state,
        CodeChallengeMethod.S256,
        codeVerifier,
        ['read:user', 'user:email'],
      );
    },
    async identify(code, { codeVerifier }) {
      const tokens = await client
        .validateAuthorizationCode(GITHUB.tokenEndpoint, code, codeVerifier)
        .catch(exchangeFailed);
      // GitHub refuses a bad, expired or replayed code with 200 and an `error` field, which
      // the generic client (unlike arctic's `GitHub`) hands back as if it were tokens.
      const refusal = (tokens.data as Record<string, unknown>).error;
      if (typeof refusal === 'string') {
        throw new OAuthError('rejected', `The provider refused the sign-in (${refusal})`);
      }
      const headers = {
        authorization: `Bearer ${tokens.accessToken()}`,
        accept: 'application/vnd.github+json',
        'user-agent': 'trellis',
      };
      const user = (await fetchJson(`${GITHUB.api}/user`, { headers })) as Record<string, unknown>;
      const emails = (await fetchJson(`${GITHUB.api}/user/emails`, { headers })) as unknown;
      const primary = Array.isArray(emails)
        ? (emails as Array<Record<string, unknown>>).find((e) => e.primary === true)
        : undefined;
      if (typeof user.id !== 'number' && typeof user.id !== 'string') {
        throw new OAuthError('provider_unavailable', 'GitHub returned a user without an id');
      }
      return {
        subject: String(user.id),
        email: primary ? stringClaim(primary, 'email') : null,
        emailVerified: primary?.verified === true,
        name: stringClaim(user, 'name') ?? stringClaim(user, 'login'),
      };
    },
  });
}
