import {
  type ApiConfig,
  type Context,
  createContext,
  type Mailer,
  type StatsCache,
  type WebhookSettings,
} from '@trellis/api';
import type { Database, Kysely } from '@trellis/db';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServerConfig } from './config.js';
import { watchUser } from './ops/request-user.js';

const LOOPBACK_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Builds procedure contexts from Fastify requests: the one bridge every transport uses. */
export interface RequestContexts {
  /** The context of one HTTP request (a batch's calls share it). */
  create(request: FastifyRequest, reply: FastifyReply): Context;
  /** Whether cookies set for this request get the Secure flag. */
  isSecure(request: FastifyRequest): boolean;
}

/** Everything that does not depend on the request is computed here, once. */
export function requestContexts(
  config: ServerConfig,
  {
    db,
    now,
    onUser,
    statsCache,
    mailer,
    webhooks,
  }: {
    db: Kysely<Database>;
    now: () => Date;
    /** Keeps stats.overview answers between calls (one per server). */
    statsCache?: StatsCache;
    /** Delivers mail; omitted when none can be sent (production without SMTP_URL). */
    mailer?: Mailer;
    /** How webhooks are sent (WEBHOOK_* settings). */
    webhooks?: WebhookSettings;
    /** Told who made a request once it authenticated (for the request's log line). */
    onUser?: (request: FastifyRequest, userId: string) => void;
  },
): RequestContexts {
  const apiConfig = (secureCookies: boolean): ApiConfig => ({
    secureCookies,
    trustedOrigins: config.trustedOrigins,
    rateLimits: config.rateLimits,
    clock: now,
    statsCache,
    publicUrl: config.publicUrl,
    mailer,
    webhooks,
  });
  const secureConfig = apiConfig(true);
  const localConfig = apiConfig(false);
  const isSecure = (request: FastifyRequest) =>
    config.cookieSecure === 'auto'
      ? !LOOPBACK_HOSTNAMES.has(request.hostname.toLowerCase())
      : config.cookieSecure === 'true';

  return {
    isSecure,
    create: (request, reply) => {
      const ctx = createContext({
        db,
        config: isSecure(request) ? secureConfig : localConfig,
        req: {
          ip: request.ip,
          userAgent: header(request, 'user-agent') ?? null,
          authorization: header(request, 'authorization'),
          cookie: header(request, 'cookie'),
          origin: header(request, 'origin'),
          host: header(request, 'host'),
          secFetchSite: header(request, 'sec-fetch-site'),
          idempotencyKey: header(request, 'idempotency-key'),
        },
        setCookie: (value) => reply.header('set-cookie', value),
        setHeader: (name, value) => reply.header(name, value),
      });
      if (onUser) watchUser(ctx, (userId) => onUser(request, userId));
      return ctx;
    },
  };
}
