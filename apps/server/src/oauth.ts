import {
  constantTimeEqual,
  createSession,
  DEFAULT_SESSION_POLICY,
  githubProvider,
  googleProvider,
  newOAuthAttempt,
  OAuthError,
  type OAuthProvider,
  oidcProvider,
  readCookie,
  type SessionPolicy,
  sessionCookie,
  signInWithOAuthIdentity,
} from '@trellis/auth';
import type { Database, Kysely } from '@trellis/db';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerConfig } from './config.js';

// Sign-in through GitHub, Google or an OpenID Connect issuer. Each attempt gets a fresh
// state, PKCE verifier and nonce, kept in a short-lived HttpOnly cookie scoped to these
// routes; the callback accepts only the state that cookie holds, so a session is never
// created for a callback the browser did not start.

const ATTEMPT_COOKIE = 'trellis_oauth';
const ATTEMPT_PATH = '/auth/oauth/';
const ATTEMPT_LIFETIME_SECONDS = 10 * 60;

/** The sign-in providers this deployment has credentials for, by id. */
export function configuredProviders(config: ServerConfig): Map<string, OAuthProvider> {
  const redirectUri = (id: string) => `${config.publicUrl}/auth/oauth/${id}/callback`;
  const providers: OAuthProvider[] = [];
  const { github, google, oidc } = config.oauth;
  if (github) providers.push(githubProvider({ ...github, redirectUri: redirectUri('github') }));
  if (google) providers.push(googleProvider({ ...google, redirectUri: redirectUri('google') }));
  if (oidc) providers.push(oidcProvider({ ...oidc, id: 'oidc', redirectUri: redirectUri('oidc') }));
  return new Map(providers.map((p) => [p.id, p]));
}

/** What the attempt cookie remembers between the redirect and the callback. */
interface Attempt {
  provider: string;
  state: string;
  codeVerifier: string;
  nonce: string;
  returnTo: string;
}

function attemptCookie(value: string, maxAge: number, secure: boolean): string {
  const parts = [
    `${ATTEMPT_COOKIE}=${value}`,
    `Path=${ATTEMPT_PATH}`,
    'HttpOnly',
    // Lax: the callback is a top-level navigation from the provider's site.
    'SameSite=Lax',
    `Max-Age=${maxAge}`,
  ];
  if (secure) parts.push('Secure');
  return parts.join('; ');
}

function readAttempt(request: FastifyRequest): Attempt | null {
  const raw = readCookie(request.headers.cookie, ATTEMPT_COOKIE);
  if (!raw) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (typeof value !== 'object' || value === null) return null;
    const fields = ['provider', 'state', 'codeVerifier', 'nonce', 'returnTo'] as const;
    const record = value as Record<string, unknown>;
    if (!fields.every((f) => typeof record[f] === 'string' && record[f] !== '')) return null;
    return record as unknown as Attempt;
  } catch {
    return null;
  }
}

/** Only paths on this site: never `//host` or `/\host`, which browsers treat as other sites. */
function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value.length > 2000) return '/';
  return /^\/(?![/\\])[^\s]*$/.test(value) ? value : '/';
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function errorPage(reply: FastifyReply, status: number, message: string): FastifyReply {
  const text = message.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
  return reply
    .status(status)
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in failed</title></head>` +
        `<body><h1>Sign-in failed</h1><p>${text}</p><p><a href="/">Back to Trellis</a></p></body></html>`,
    );
}

/** What the OAuth routes need from the server. */
export interface OAuthRouteOptions {
  db: Kysely<Database>;
  providers: Map<string, OAuthProvider>;
  isSecure(request: FastifyRequest): boolean;
  sessionPolicy?: SessionPolicy;
  now(): Date;
}

/** `GET /auth/oauth`, `/auth/oauth/:provider` and its `/callback`, as a Fastify plugin. */
export function oauthRoutes(
  app: FastifyInstance,
  options: OAuthRouteOptions,
  done: (error?: Error) => void,
): void {
  const { db, providers, isSecure, now } = options;
  const policy = options.sessionPolicy ?? DEFAULT_SESSION_POLICY;

  app.get('/auth/oauth', async () => ({
    providers: [...providers.values()].map(({ id, name }) => ({
      id,
      name,
      url: `/auth/oauth/${id}`,
    })),
  }));

  app.get<{ Params: { provider: string }; Querystring: { returnTo?: unknown } }>(
    '/auth/oauth/:provider',
    async (request, reply) => {
      const provider = providers.get(request.params.provider);
      if (!provider) return errorPage(reply, 404, 'This sign-in provider is not configured.');
      const attempt: Attempt = {
        ...newOAuthAttempt(),
        provider: provider.id,
        returnTo: safeReturnTo(request.query.returnTo),
      };
      let url: URL;
      try {
        url = await provider.authorizationUrl(attempt);
      } catch (error) {
        request.log.warn({ err: error, provider: provider.id }, 'oauth start failed');
        return errorPage(reply, 502, `${provider.name} cannot be reached right now; try again.`);
      }
      const value = Buffer.from(JSON.stringify(attempt), 'utf8').toString('base64url');
      return reply
        .header('set-cookie', attemptCookie(value, ATTEMPT_LIFETIME_SECONDS, isSecure(request)))
        .header('cache-control', 'no-store')
        .redirect(url.toString(), 302);
    },
  );

  app.get<{
    Params: { provider: string };
    Querystring: { code?: unknown; state?: unknown; error?: unknown };
  }>('/auth/oauth/:provider/callback', async (request, reply) => {
    const provider = providers.get(request.params.provider);
    if (!provider) return errorPage(reply, 404, 'This sign-in provider is not configured.');
    // Single use: whatever happens next, this attempt is over.
    reply.header('set-cookie', attemptCookie('', 0, isSecure(request)));

    const attempt = readAttempt(request);
    const { code, state, error } = request.query;
    if (!attempt || attempt.provider !== provider.id) {
      return errorPage(
        reply,
        400,
        'This sign-in has expired or was started in another browser. Please start again.',
      );
    }
    if (typeof state !== 'string' || !constantTimeEqual(state, attempt.state)) {
      return errorPage(
        reply,
        400,
        'The sign-in response does not match this browser. Start again.',
      );
    }
    if (typeof error === 'string') {
      return errorPage(
        reply,
        400,
        `${provider.name} did not sign you in (${error.slice(0, 100)}).`,
      );
    }
    if (typeof code !== 'string' || code === '') {
      return errorPage(reply, 400, `${provider.name} sent no authorization code.`);
    }

    try {
      const identity = await provider.identify(code, attempt);
      const user = await signInWithOAuthIdentity(db, provider.id, identity, now());
      const { token } = await createSession(
        db,
        user.id,
        { userAgent: request.headers['user-agent'] ?? null, ip: request.ip },
        { now: now(), policy },
      );
      return reply
        .header(
          'set-cookie',
          sessionCookie(token, policy.absoluteMs / 1000, { secure: isSecure(request) }),
        )
        .header('cache-control', 'no-store')
        .redirect(attempt.returnTo, 302);
    } catch (failure) {
      if (!(failure instanceof OAuthError)) throw failure;
      request.log.warn({ err: failure, provider: provider.id }, 'oauth sign-in failed');
      const status = failure.failure === 'provider_unavailable' ? 502 : 400;
      return errorPage(reply, status, failure.message);
    }
  });
  done();
}
