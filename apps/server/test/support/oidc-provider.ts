import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import Provider, { type JWK } from 'oidc-provider';

// A real OpenID Connect provider (panva's oidc-provider, certified) on a loopback port, for
// end-to-end sign-in tests. Nothing is persisted: its adapter is in memory and its signing
// key is generated per instance, so a relying party must really fetch the JWKS to verify.
// Sign-in uses the library's development interactions: an HTML login form (any password;
// the login names the account's `sub`) and then an HTML consent form.

/** A person who can sign in at the test provider. */
export interface OidcTestAccount {
  sub: string;
  email: string;
  email_verified: boolean;
  name: string;
}

export interface OidcProviderOptions {
  clientId: string;
  clientSecret: string;
  /** The relying party's callback URLs, matched exactly by the provider. */
  redirectUris: string[];
  accounts: OidcTestAccount[];
}

export interface TestOidcProvider {
  /** `http://127.0.0.1:<port>`: discovery is at `<issuer>/.well-known/openid-configuration`. */
  issuer: string;
  /** Errors the provider hit while answering (its 500s); a passing run has none. */
  serverErrors: unknown[];
  close(): Promise<void>;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error('provider has no port'));
      } else {
        resolve(address.port);
      }
    });
  });
}

function signingKey(): JWK {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kty: 'RSA', kid: randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' };
}

/**
 * Starts an OpenID provider on 127.0.0.1 port 0 with one confidential client
 * (client_secret_basic, authorization code, PKCE required).
 */
export async function startOidcProvider(options: OidcProviderOptions): Promise<TestOidcProvider> {
  const server = createServer();
  const port = await listen(server);
  const issuer = `http://127.0.0.1:${port}`;
  const accounts = new Map(options.accounts.map((account) => [account.sub, account]));

  let provider: Provider;
  try {
    provider = new Provider(issuer, {
      clients: [
        {
          client_id: options.clientId,
          client_secret: options.clientSecret,
          redirect_uris: options.redirectUris,
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ],
      // With response_type=code the ID token carries only `sub` (and protocol claims); email
      // and name are released by the userinfo endpoint, as many real issuers do.
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
      findAccount(_ctx, sub) {
        const account = accounts.get(sub);
        if (!account) return undefined;
        return { accountId: sub, claims: () => ({ ...account }) };
      },
      jwks: { keys: [signingKey()] },
      cookies: { keys: [randomBytes(16).toString('hex')] },
      pkce: { required: () => true },
      // Explicit lifetimes (the defaults print a notice each): ample for any test run.
      ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
      features: { devInteractions: { enabled: true } },
    });
  } catch (error) {
    server.close();
    throw error;
  }
  const serverErrors: unknown[] = [];
  provider.on('server_error', (_ctx, error) => serverErrors.push(error));
  server.on('request', provider.callback());

  return {
    issuer,
    serverErrors,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets from fetch would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}
