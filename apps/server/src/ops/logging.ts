import type {
  FastifyBaseLogger,
  FastifyReply,
  FastifyRequest,
  FastifyServerOptions,
  LogController as LogControllerType,
} from 'fastify';
import { LogController } from 'fastify';

/** Where log lines go: stdout unless a test captures them. */
export interface LogStream {
  write(line: string): void;
}

/** Log levels at which Fastify's per-request lines are written. */
export const REQUEST_LOG_LEVELS: ReadonlySet<string> = new Set(['trace', 'debug', 'info']);

const REDACTED = '[redacted]';

/**
 * Never written to a log: credentials in headers (request and response), and the secrets a
 * procedure's input or output can hold, should any code log one.
 */
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  ...['password', 'token', 'inviteToken', 'secret', 'clientSecret'].flatMap((key) => [
    key,
    `*.${key}`,
  ]),
];

/** The path of a URL without its query: queries carry OAuth codes and tRPC inputs. */
function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** Fastify's `logger` option: JSON lines (pino), secrets redacted. */
export function loggerOptions(level: string, stream?: LogStream): FastifyServerOptions['logger'] {
  return {
    level,
    ...(stream ? { stream } : {}),
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    serializers: {
      req: (request: FastifyRequest) => ({
        method: request.method,
        url: pathOf(request.url),
        host: request.host,
        remoteAddress: request.ip,
        remotePort: request.socket?.remotePort,
        headers: request.headers,
      }),
      res: (reply: Partial<FastifyReply> & { statusCode: number }) => ({
        statusCode: reply.statusCode,
        headers: typeof reply.getHeaders === 'function' ? reply.getHeaders() : undefined,
      }),
    },
  };
}

/** What the request-completed line says about a request besides its status and time. */
export interface RequestSummary {
  /** The procedures (or route pattern) it called, comma-separated for a batch. */
  procedure: string;
  /** Who called, when the request authenticated. */
  userId: string | null;
}

/**
 * Fastify's request lines, with the request's procedure and user on the completion line,
 * and no URL query (Fastify's own "route not found" line prints the whole URL).
 */
export function requestLogController(
  level: string,
  summarize: (request: FastifyRequest) => RequestSummary,
): LogControllerType {
  class TrellisLogController extends LogController {
    override requestCompleted(
      error: Error | null | undefined,
      request: FastifyRequest,
      reply: FastifyReply,
    ): void {
      if (this.isLogDisabled(request)) return;
      const line = { res: reply, responseTime: reply.elapsedTime, ...summarize(request) };
      if (error) reply.log.error({ ...line, err: error }, 'request errored');
      else reply.log.info(line, 'request completed');
    }

    override routeNotFound(request: FastifyRequest): void {
      if (this.isLogDisabled(request)) return;
      request.log.info(`Route ${request.method}:${pathOf(request.url)} not found`);
    }

    override serviceUnavailable(logger: FastifyBaseLogger): void {
      logger.info({ res: { statusCode: 503 } }, 'refused a request: shutting down');
    }
  }
  // Above info the lines would be dropped anyway, so their per-response listeners are not
  // installed at all (docs/performance.md).
  return new TrellisLogController({ disableRequestLogging: !REQUEST_LOG_LEVELS.has(level) });
}
