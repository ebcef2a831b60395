// oidc-provider ships no TypeScript types and @types/oidc-provider is not installed: this
// declares only the part of its API that test/support/oidc-provider.ts uses. (Not named
// oidc-provider.d.ts: tsc ignores a .d.ts that sits beside a .ts of the same name.)
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  /** Claims about one account; `sub` is always present. */
  export interface AccountClaims {
    sub: string;
    [claim: string]: unknown;
  }

  /** What `findAccount` resolves to. */
  export interface Account {
    accountId: string;
    claims(use: string, scope: string): AccountClaims | Promise<AccountClaims>;
  }

  /** Client registration metadata (RFC 7591 names). */
  export interface ClientMetadata {
    client_id: string;
    client_secret?: string;
    redirect_uris: string[];
    grant_types?: string[];
    response_types?: string[];
    token_endpoint_auth_method?: string;
  }

  /** A JSON Web Key, private parts included for signing keys. */
  export interface JWK {
    kty: string;
    kid?: string;
    use?: string;
    alg?: string;
    [parameter: string]: unknown;
  }

  export interface Configuration {
    clients?: ClientMetadata[];
    /** Scope name → the claims it releases (`null`: a claim released without a scope). */
    claims?: Record<string, string[] | null>;
    findAccount?(
      ctx: unknown,
      sub: string,
      token?: unknown,
    ): Account | undefined | Promise<Account | undefined>;
    jwks?: { keys: JWK[] };
    cookies?: { keys?: string[] };
    /** Lifetimes in seconds, by model name (`Session`, `AccessToken`, ...). */
    ttl?: Record<string, number>;
    pkce?: { required?(ctx: unknown, client: unknown): boolean };
    features?: { devInteractions?: { enabled: boolean } };
  }

  export default class Provider {
    constructor(issuer: string, configuration?: Configuration);
    readonly issuer: string;
    /** A `(req, res)` listener for a plain node:http server. */
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }
}
