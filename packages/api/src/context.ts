import { type RateLimits, readCookie, type SessionPolicy, sessionCookieName } from '@trellis/auth';
import type { Database, Kysely } from '@trellis/db';
import type { Mailer } from './mail/mailer.js';
import type { StatsCache } from './stats-cache.js';
import type { WebhookSettings } from './webhooks/settings.js';

/** Deployment settings the procedures need; read once by the server and passed down. */
export interface ApiConfig {
  /**
   * Whether the request came over HTTPS (true unless served on localhost): cookies are then
   * Secure and `__Host-` prefixed, and the server's own origin is `https://<Host>`.
   */
  secureCookies: boolean;
  /** Origins besides the server's own whose cookie-authenticated mutations are accepted. */
  trustedOrigins: readonly string[];
  /** Session lifetimes; the Lucia-guide defaults when omitted. */
  sessionPolicy?: SessionPolicy;
  /** Limits on sign-in, sign-up and invites; `DEFAULT_RATE_LIMITS` when omitted. */
  rateLimits?: RateLimits;
  /** The time source for expiry and rate-limit windows; the system clock when omitted. */
  clock?: () => Date;
  /** Where `stats.overview` answers are kept between calls; computed every time when omitted. */
  statsCache?: StatsCache;
  /**
   * The origin people reach the server at (PUBLIC_URL): mailed links are built on it, never
   * on the request's Host header.
   */
  publicUrl: string;
  /**
   * Delivers mail. Omitted when this deployment cannot send any (production without
   * SMTP_URL): procedures that must mail then answer SERVICE_UNAVAILABLE, and sign-up
   * leaves the account unverified.
   */
  mailer?: Mailer;
  /**
   * How webhooks are sent (the server's, from its WEBHOOK_* settings). Omitted: the
   * webhook procedures that send or accept a URL answer SERVICE_UNAVAILABLE.
   */
  webhooks?: WebhookSettings;
}

/** What the transport tells the procedures about one HTTP request. */
export interface RequestInfo {
  ip: string | null;
  userAgent: string | null;
  /** The raw `Authorization` header. */
  authorization: string | undefined;
  /** The raw `Cookie` header. */
  cookie: string | undefined;
  origin: string | undefined;
  host: string | undefined;
  secFetchSite: string | undefined;
  /** The raw `Idempotency-Key` header: retries of a mutation that carry it run once. */
  idempotencyKey: string | undefined;
}

/** A token the request carried, and how: cookies need CSRF checks, bearer tokens do not. */
export type Credential = { kind: 'bearer' | 'cookie'; token: string } | null;

/** The context every procedure receives. */
export interface Context {
  db: Kysely<Database>;
  config: ApiConfig;
  req: RequestInfo;
  credential: Credential;
  /** Appends a Set-Cookie header to the response. */
  setCookie(value: string): void;
  /** Sets a response header (e.g. `Retry-After`). */
  setHeader(name: string, value: string): void;
  /** The current time, from `config.clock`. */
  now(): Date;
  /**
   * Computes `key` once per HTTP request: the calls of a batch share one context, so they
   * share the result (e.g. one session lookup for ten calls).
   */
  once<T>(key: string, compute: () => Promise<T>): Promise<T>;
}

/** The transport-specific parts a server provides to build a Context. */
export interface CreateContextOptions {
  db: Kysely<Database>;
  config: ApiConfig;
  req: RequestInfo;
  setCookie(value: string): void;
  setHeader(name: string, value: string): void;
}

const systemClock = () => new Date();

/** Builds the per-request context; a bearer token wins over a cookie. */
export function createContext(options: CreateContextOptions): Context {
  // Built on every request: properties spelled out (faster than spreading `options`), and
  // the memo only made when a procedure asks for one.
  let memo: Map<string, Promise<unknown>> | undefined;
  return {
    db: options.db,
    config: options.config,
    req: options.req,
    setCookie: options.setCookie,
    setHeader: options.setHeader,
    credential: readCredential(options.req, options.config.secureCookies),
    now: options.config.clock ?? systemClock,
    once<T>(key: string, compute: () => Promise<T>): Promise<T> {
      memo ??= new Map();
      let result = memo.get(key);
      if (result === undefined) {
        result = compute();
        memo.set(key, result);
      }
      // Each key is always computed by the same function, so it holds a T.
      return result as Promise<T>;
    },
  };
}

/**
 * The bearer token, else the session cookie of this request's security: over HTTPS only
 * `__Host-trellis_session`, which a sibling subdomain or a plain-HTTP page cannot set, so
 * a planted `trellis_session` is never read there.
 */
function readCredential(req: RequestInfo, secure: boolean): Credential {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.authorization ?? '')?.[1];
  if (bearer) return { kind: 'bearer', token: bearer };
  const cookie = readCookie(req.cookie, sessionCookieName({ secure }));
  return cookie ? { kind: 'cookie', token: cookie } : null;
}

/**
 * The context a plain route's guard is called with (imports/guards.ts,
 * attachments/guards.ts): `Idempotency-Key` removed, since a guard is not the mutation the
 * key names, and its answer must not be replayed.
 */
export function guardContext(ctx: Context): Context {
  return { ...ctx, req: { ...ctx.req, idempotencyKey: undefined } };
}
