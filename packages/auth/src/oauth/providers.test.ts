import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  githubProvider,
  googleProvider,
  newOAuthAttempt,
  type OAuthAttempt,
  OAuthError,
  type OAuthFailure,
  type OAuthProvider,
  oidcProvider,
} from './providers.js';

const SETTINGS = {
  clientId: 'trellis-client',
  clientSecret: 'trellis-secret',
  redirectUri: 'https://trellis.example/auth/oauth/callback',
};

/** The S256 code challenge, computed independently of the code under test. */
function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** The error a promise rejects with; fails the test if it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

/** Asserts that `promise` rejects with an OAuthError of this kind. */
async function expectOAuthFailure(promise: Promise<unknown>, failure: OAuthFailure) {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(OAuthError);
  expect((error as OAuthError).failure).toBe(failure);
  return error as OAuthError;
}

function scopesOf(url: URL): string[] {
  return (url.searchParams.get('scope') ?? '').split(' ');
}

/** The PKCE checks every provider's authorization URL must pass. */
function expectPkce(url: URL, attempt: OAuthAttempt) {
  expect(url.searchParams.get('code_challenge_method')).toBe('S256');
  expect(url.searchParams.get('code_challenge')).toBe(s256(attempt.codeVerifier));
  expect(url.searchParams.get('code_challenge')).not.toMatch(/[=+/]/);
  expect(url.searchParams.get('code_verifier')).toBeNull(); // the verifier never leaves us
  expect(url.href).not.toContain(attempt.codeVerifier);
}

describe('newOAuthAttempt', () => {
  it('makes a 32-character state and nonce and a 43+ character base64url verifier', () => {
    const attempt = newOAuthAttempt();

    expect(attempt.state).toMatch(/^[a-z2-9]{32}$/);
    expect(attempt.nonce).toMatch(/^[a-z2-9]{32}$/);
    expect(attempt.codeVerifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
  });

  it('makes fresh values every time', () => {
    const attempts = Array.from({ length: 20 }, () => newOAuthAttempt());

    for (const part of ['state', 'codeVerifier', 'nonce'] as const) {
      expect(new Set(attempts.map((a) => a[part])).size, part).toBe(20);
    }
    expect(attempts[0]?.state).not.toBe(attempts[0]?.nonce);
  });
});

describe('OAuthError', () => {
  it('carries its failure kind, message and cause', () => {
    const cause = new Error('socket hang up');

    const error = new OAuthError('provider_unavailable', 'down', { cause });

    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'OAuthError', failure: 'provider_unavailable' });
    expect(error.message).toBe('down');
    expect(error.cause).toBe(cause);
  });
});

describe('githubProvider.authorizationUrl', () => {
  it("points at GitHub's authorize endpoint with our client, state and PKCE", async () => {
    const provider = githubProvider(SETTINGS);
    const attempt = newOAuthAttempt();

    const url = await provider.authorizationUrl(attempt);

    expect(provider).toMatchObject({ id: 'github', name: 'GitHub' });
    expect(url.protocol).toBe('https:');
    expect(url.host).toBe('github.com');
    expect(url.pathname).toBe('/login/oauth/authorize');
    expect(url.searchParams.get('client_id')).toBe(SETTINGS.clientId);
    expect(url.searchParams.get('redirect_uri')).toBe(SETTINGS.redirectUri);
    expect(url.searchParams.get('state')).toBe(attempt.state);
    expect(url.searchParams.get('response_type')).toBe('code');
    expectPkce(url, attempt);
    expect(scopesOf(url)).toContain('user:email');
  });

  it('never puts the client secret in the URL', async () => {
    const url = await githubProvider(SETTINGS).authorizationUrl(newOAuthAttempt());

    expect(url.href).not.toContain(SETTINGS.clientSecret);
  });

  it('follows the attempt it is given', async () => {
    const provider = githubProvider(SETTINGS);
    const first = newOAuthAttempt();
    const second = newOAuthAttempt();

    const a = await provider.authorizationUrl(first);
    const b = await provider.authorizationUrl(second);

    expect(a.searchParams.get('state')).toBe(first.state);
    expect(b.searchParams.get('state')).toBe(second.state);
    expect(b.searchParams.get('code_challenge')).toBe(s256(second.codeVerifier));
  });
});

describe('googleProvider.authorizationUrl', () => {
  it("points at Google's endpoint with our client, state, PKCE and nonce", async () => {
    const provider = googleProvider(SETTINGS);
    const attempt = newOAuthAttempt();

    const url = await provider.authorizationUrl(attempt);

    expect(provider).toMatchObject({ id: 'google', name: 'Google' });
    expect(url.protocol).toBe('https:');
    expect(url.host).toBe('accounts.google.com');
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('client_id')).toBe(SETTINGS.clientId);
    expect(url.searchParams.get('redirect_uri')).toBe(SETTINGS.redirectUri);
    expect(url.searchParams.get('state')).toBe(attempt.state);
    expect(url.searchParams.get('nonce')).toBe(attempt.nonce);
    expect(url.searchParams.get('scope')).toBe('openid email profile');
    expectPkce(url, attempt);
    expect(url.href).not.toContain(SETTINGS.clientSecret);
  });
});

describe('githubProvider.identify (GitHub simulated by a stubbed fetch)', () => {
  /** Canned answers from GitHub's token endpoint and API, by URL. */
  let answers: Record<string, { status: number; body: unknown }>;

  beforeEach(() => {
    answers = {
      'https://github.com/login/oauth/access_token': {
        status: 200,
        body: { access_token: 'gho_test', token_type: 'bearer', scope: 'read:user,user:email' },
      },
      'https://api.github.com/user': {
        status: 200,
        body: { id: 583231, login: 'octocat', name: null },
      },
      'https://api.github.com/user/emails': {
        status: 200,
        body: [
          { email: 'old@example.com', primary: false, verified: true },
          { email: 'octo@example.com', primary: true, verified: true },
        ],
      },
    };
    vi.stubGlobal('fetch', async (input: string | URL | Request, init?: RequestInit) => {
      const answer = answers[new Request(input, init).url];
      if (!answer) throw new TypeError('fetch failed');
      return new Response(JSON.stringify(answer.body), {
        status: answer.status,
        headers: { 'content-type': 'application/json' },
      });
    });
  });

  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('reads the id, the primary email and the login when there is no name', async () => {
    const identity = await githubProvider(SETTINGS).identify('code', newOAuthAttempt());

    expect(identity).toEqual({
      subject: '583231',
      email: 'octo@example.com',
      emailVerified: true,
      name: 'octocat',
    });
  });

  it("rejects a bad or replayed code (GitHub's 200 with an `error` field)", async () => {
    answers['https://github.com/login/oauth/access_token'] = {
      status: 200,
      body: {
        error: 'bad_verification_code',
        error_description: 'The code passed is incorrect or expired.',
      },
    };

    const error = await expectOAuthFailure(
      githubProvider(SETTINGS).identify('used-code', newOAuthAttempt()),
      'rejected',
    );
    expect(error.message).toContain('bad_verification_code');
  });

  it('calls GitHub unavailable when it cannot be reached', async () => {
    answers = {};

    await expectOAuthFailure(
      githubProvider(SETTINGS).identify('code', newOAuthAttempt()),
      'provider_unavailable',
    );
  });
});

// ---------------------------------------------------------------------------------------
// A tiny OpenID Connect issuer on 127.0.0.1: discovery, token endpoint, JWKS, userinfo.

interface IssuerBehaviour {
  /** Status of the discovery document; anything but 200 sends no document. */
  discoveryStatus: number;
  /** Sends an HTML page instead of the discovery document. */
  discoveryHtml: boolean;
  /** Overrides fields of the discovery document. */
  discoveryOverrides: Record<string, unknown>;
  /** What the token endpoint answers. */
  token: { status: number; body: unknown };
  /** What the userinfo endpoint answers. */
  userinfo: Record<string, unknown>;
}

let server: Server;
let issuer: string;
let behaviour: IssuerBehaviour;
let discoveryRequests: number;
let tokenRequests: { body: URLSearchParams; authorization: string | undefined }[];
let signingKey: CryptoKey;
let strangerKey: CryptoKey;
let jwks: { keys: unknown[] };

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  return body;
}

async function handle(req: IncomingMessage, res: ServerResponse) {
  const path = new URL(req.url ?? '/', issuer).pathname;
  if (path === '/.well-known/openid-configuration') {
    discoveryRequests++;
    if (behaviour.discoveryStatus !== 200) {
      return sendJson(res, behaviour.discoveryStatus, { error: 'server_error' });
    }
    if (behaviour.discoveryHtml) {
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end('<html><body>Please sign in to the Wi-Fi</body></html>');
    }
    return sendJson(res, 200, {
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      jwks_uri: `${issuer}/jwks`,
      userinfo_endpoint: `${issuer}/userinfo`,
      ...behaviour.discoveryOverrides,
    });
  }
  if (path === '/token' && req.method === 'POST') {
    tokenRequests.push({
      body: new URLSearchParams(await readBody(req)),
      authorization: req.headers.authorization,
    });
    return sendJson(res, behaviour.token.status, behaviour.token.body);
  }
  if (path === '/jwks') return sendJson(res, 200, jwks);
  if (path === '/userinfo') return sendJson(res, 200, behaviour.userinfo);
  return sendJson(res, 404, { error: 'not_found' });
}

beforeAll(async () => {
  const signing = await generateKeyPair('RS256');
  const stranger = await generateKeyPair('RS256');
  signingKey = signing.privateKey;
  strangerKey = stranger.privateKey;
  jwks = { keys: [{ ...(await exportJWK(signing.publicKey)), kid: 'k1', alg: 'RS256' }] };

  server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => sendJson(res, 500, { error: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  behaviour = {
    discoveryStatus: 200,
    discoveryHtml: false,
    discoveryOverrides: {},
    token: { status: 200, body: {} },
    userinfo: {},
  };
  discoveryRequests = 0;
  tokenRequests = [];
});

function ourIssuer(overrides: { issuer?: string } = {}): OAuthProvider {
  return oidcProvider({ ...SETTINGS, id: 'acme', name: 'Acme SSO', issuer, ...overrides });
}

/** An ID token as our issuer would sign it; `claims` and `options` override the defaults. */
async function idToken(
  claims: JWTPayload,
  options: { issuer?: string; audience?: string; expiresIn?: string; key?: CryptoKey } = {},
): Promise<string> {
  return new SignJWT({
    email: 'ada@example.com',
    email_verified: true,
    name: 'Ada Lovelace',
    ...claims,
  })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(options.issuer ?? issuer)
    .setSubject('user-1')
    .setAudience(options.audience ?? SETTINGS.clientId)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '5m')
    .sign(options.key ?? signingKey);
}

/** Makes the token endpoint answer with this ID token. */
function tokenEndpointReturns(token: string) {
  behaviour.token = {
    status: 200,
    body: { access_token: 'at-1', token_type: 'Bearer', expires_in: 3600, id_token: token },
  };
}

describe('oidcProvider.authorizationUrl', () => {
  it("uses the discovered authorization endpoint, with PKCE, the nonce and OIDC's scopes", async () => {
    const provider = ourIssuer();
    const attempt = newOAuthAttempt();

    const url = await provider.authorizationUrl(attempt);

    expect(provider).toMatchObject({ id: 'acme', name: 'Acme SSO' });
    expect(`${url.origin}${url.pathname}`).toBe(`${issuer}/authorize`);
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('client_id')).toBe(SETTINGS.clientId);
    expect(url.searchParams.get('redirect_uri')).toBe(SETTINGS.redirectUri);
    expect(url.searchParams.get('state')).toBe(attempt.state);
    expect(url.searchParams.get('nonce')).toBe(attempt.nonce);
    expect(url.searchParams.get('scope')).toBe('openid email profile');
    expectPkce(url, attempt);
  });

  it('finds the issuer when it is configured with a trailing slash', async () => {
    const url = await ourIssuer({ issuer: `${issuer}/` }).authorizationUrl(newOAuthAttempt());

    expect(`${url.origin}${url.pathname}`).toBe(`${issuer}/authorize`);
  });

  it('keeps query parameters of the discovered endpoint', async () => {
    behaviour.discoveryOverrides = { authorization_endpoint: `${issuer}/authorize?tenant=t1` };

    const url = await ourIssuer().authorizationUrl(newOAuthAttempt());

    expect(url.searchParams.get('tenant')).toBe('t1');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
  });

  it('discovers once per provider, then reuses what it found', async () => {
    const provider = ourIssuer();

    await provider.authorizationUrl(newOAuthAttempt());
    await provider.authorizationUrl(newOAuthAttempt());

    expect(discoveryRequests).toBe(1);
  });

  it('refuses a discovery document written for another issuer', async () => {
    behaviour.discoveryOverrides = { issuer: 'https://evil.example' };

    await expectOAuthFailure(
      ourIssuer().authorizationUrl(newOAuthAttempt()),
      'provider_unavailable',
    );
  });

  it('refuses a discovery document without an authorization endpoint', async () => {
    behaviour.discoveryOverrides = { authorization_endpoint: undefined };

    await expectOAuthFailure(
      ourIssuer().authorizationUrl(newOAuthAttempt()),
      'provider_unavailable',
    );
  });

  it('calls a failing discovery unavailable, and tries again on the next sign-in', async () => {
    const provider = ourIssuer();
    behaviour.discoveryStatus = 500;

    await expectOAuthFailure(provider.authorizationUrl(newOAuthAttempt()), 'provider_unavailable');
    behaviour.discoveryStatus = 200;
    const url = await provider.authorizationUrl(newOAuthAttempt());

    expect(`${url.origin}${url.pathname}`).toBe(`${issuer}/authorize`);
    expect(discoveryRequests).toBe(2);
  });

  it('calls a discovery answer that is not JSON unavailable', async () => {
    behaviour.discoveryHtml = true;

    await expectOAuthFailure(
      ourIssuer().authorizationUrl(newOAuthAttempt()),
      'provider_unavailable',
    );
  });

  it('calls an unreachable issuer unavailable', async () => {
    const provider = ourIssuer({ issuer: 'http://127.0.0.1:1' });

    await expectOAuthFailure(provider.authorizationUrl(newOAuthAttempt()), 'provider_unavailable');
  });
});

describe('oidcProvider.identify', () => {
  it('exchanges the code with our credentials and verifier, and reads the ID token', async () => {
    const attempt = newOAuthAttempt();
    tokenEndpointReturns(await idToken({ nonce: attempt.nonce }));

    const identity = await ourIssuer().identify('the-code', attempt);

    expect(identity).toEqual({
      subject: 'user-1',
      email: 'ada@example.com',
      emailVerified: true,
      name: 'Ada Lovelace',
    });
    expect(tokenRequests).toHaveLength(1);
    const [request] = tokenRequests;
    expect(Object.fromEntries(request?.body ?? [])).toMatchObject({
      grant_type: 'authorization_code',
      code: 'the-code',
      code_verifier: attempt.codeVerifier,
      redirect_uri: SETTINGS.redirectUri,
    });
    const basic = Buffer.from(`${SETTINGS.clientId}:${SETTINGS.clientSecret}`).toString('base64');
    expect(request?.authorization).toBe(`Basic ${basic}`);
  });

  it.each([
    [false, false],
    ['false', false],
    [undefined, false],
    ['yes', false],
    [true, true],
    // Some issuers (AWS Cognito) send the claim as a string.
    ['true', true],
  ])('reads email_verified %j as verified: %j', async (claim, verified) => {
    const attempt = newOAuthAttempt();
    tokenEndpointReturns(await idToken({ nonce: attempt.nonce, email_verified: claim }));

    const identity = await ourIssuer().identify('code', attempt);

    expect(identity.emailVerified).toBe(verified);
  });

  it('rejects an ID token for another sign-in (wrong nonce)', async () => {
    const attempt = newOAuthAttempt();
    tokenEndpointReturns(await idToken({ nonce: newOAuthAttempt().nonce }));

    await expectOAuthFailure(ourIssuer().identify('code', attempt), 'rejected');
  });

  it('rejects an ID token without a nonce', async () => {
    tokenEndpointReturns(await idToken({}));

    await expectOAuthFailure(ourIssuer().identify('code', newOAuthAttempt()), 'rejected');
  });

  it('rejects an ID token for another client (wrong audience)', async () => {
    const attempt = newOAuthAttempt();
    tokenEndpointReturns(await idToken({ nonce: attempt.nonce }, { audience: 'someone-else' }));

    await expectOAuthFailure(ourIssuer().identify('code', attempt), 'rejected');
  });

  it('rejects an ID token from another issuer', async () => {
    const attempt = newOAuthAttempt();
    tokenEndpointReturns(
      await idToken({ nonce: attempt.nonce }, { issuer: 'https://evil.example' }),
    );

    await expectOAuthFailure(ourIssuer().identify('code', attempt), 'rejected');
  });

  it("rejects an ID token not signed with the issuer's keys", async () => {
    const attempt = newOAuthAttempt();
    tokenEndpointReturns(await idToken({ nonce: attempt.nonce }, { key: strangerKey }));

    await expectOAuthFailure(ourIssuer().identify('code', attempt), 'rejected');
  });

  it('rejects an expired ID token', async () => {
    const attempt = newOAuthAttempt();
    tokenEndpointReturns(await idToken({ nonce: attempt.nonce }, { expiresIn: '-10m' }));

    await expectOAuthFailure(ourIssuer().identify('code', attempt), 'rejected');
  });

  it('rejects a code the token endpoint refuses (400 invalid_grant)', async () => {
    behaviour.token = { status: 400, body: { error: 'invalid_grant' } };

    const error = await expectOAuthFailure(
      ourIssuer().identify('used-code', newOAuthAttempt()),
      'rejected',
    );
    expect(error.message).toContain('invalid_grant');
  });

  it('calls a token endpoint that fails with 500 unavailable', async () => {
    behaviour.token = { status: 500, body: { error: 'server_error' } };

    await expectOAuthFailure(
      ourIssuer().identify('code', newOAuthAttempt()),
      'provider_unavailable',
    );
  });

  it('fills in email and name from userinfo when the ID token has no email', async () => {
    const attempt = newOAuthAttempt();
    tokenEndpointReturns(
      await idToken({
        nonce: attempt.nonce,
        email: undefined,
        email_verified: undefined,
        name: undefined,
      }),
    );
    behaviour.userinfo = {
      sub: 'user-1',
      email: 'ada@example.org',
      email_verified: true,
      name: 'Ada',
    };

    const identity = await ourIssuer().identify('code', attempt);

    expect(identity).toEqual({
      subject: 'user-1',
      email: 'ada@example.org',
      emailVerified: true,
      name: 'Ada',
    });
  });

  it('rejects userinfo that names another subject', async () => {
    const attempt = newOAuthAttempt();
    tokenEndpointReturns(await idToken({ nonce: attempt.nonce, email: undefined }));
    behaviour.userinfo = { sub: 'user-2', email: 'mallory@example.com', email_verified: true };

    await expectOAuthFailure(ourIssuer().identify('code', attempt), 'rejected');
  });
});
