import type { TRPCProcedureType } from '@trpc/server';
import type { FastifyRequest } from 'fastify';
import { JSON_TYPE, mediaType, wantsJsonLines } from './media.js';

/** A request the lean handler serves: queries or mutations, one or a batch, JSON only. */
export interface LeanRequest {
  method: 'GET' | 'POST';
  isBatch: boolean;
  /** The procedure path as tRPC reads it (decoded once more): `a,b` for a batch. */
  path: string;
  /** One per call. */
  paths: string[];
  /** Each call's procedure kind; undefined where no procedure has the path. */
  kinds: (TRPCProcedureType | undefined)[];
  /** The request's kind: the one kind of its known calls, or 'unknown'. */
  type: TRPCProcedureType | 'unknown';
  /** The inputs' JSON text; null when there is none. */
  source: string | null;
}

/** What deciding needs besides the request; built once per handler. */
export interface LeanScope {
  kinds: ReadonlyMap<string, TRPCProcedureType>;
  /** Unknown paths may name lazy procedures: only tRPC can load those. */
  hasLazyRouters: boolean;
  maxBatchSize: number | undefined;
  hostIsValid(request: FastifyRequest): boolean;
}

/**
 * The request as the lean handler serves it, or undefined for what it leaves to tRPC's
 * adapter: subscriptions, other methods, multipart / octet-stream bodies, JSON-lines
 * streaming, connection params, unparseable paths or hosts, oversized or mixed batches.
 */
export function leanRequest(
  request: FastifyRequest<{ Params: { path: string } }>,
  scope: LeanScope,
): LeanRequest | undefined {
  const method = request.method;
  const contentType = request.headers['content-type'];
  if (method === 'POST') {
    if (contentType === undefined || mediaType(contentType) !== JSON_TYPE) return undefined;
  } else if (method === 'GET') {
    if (contentType !== undefined) {
      const type = mediaType(contentType);
      // tRPC refuses these on GET; its own handler says how.
      if (type === 'multipart/form-data' || type === 'application/octet-stream') return undefined;
    }
  } else {
    return undefined;
  }
  if (wantsJsonLines(request) || !scope.hostIsValid(request)) return undefined;

  let path = request.params.path;
  if (path.includes('%')) {
    // tRPC decodes the (already decoded) path once more; a bad escape is its 400.
    try {
      path = decodeURIComponent(path);
    } catch {
      return undefined;
    }
  }

  const searchParams = searchParamsOf(request.raw.url ?? '');
  if (searchParams?.has('connectionParams')) return undefined;
  const isBatch = searchParams?.get('batch') === '1';
  const paths = isBatch ? path.split(',') : [path];
  if (isBatch && scope.maxBatchSize !== undefined && paths.length > scope.maxBatchSize) {
    return undefined;
  }

  const kinds = new Array<TRPCProcedureType | undefined>(paths.length);
  let type: TRPCProcedureType | 'unknown' = 'unknown';
  for (let index = 0; index < paths.length; index += 1) {
    const kind = scope.kinds.get(paths[index] as string);
    if (kind === undefined && scope.hasLazyRouters) return undefined;
    kinds[index] = kind;
    if (kind === undefined) continue;
    // Subscriptions stream; a batch mixing kinds is a request-level error.
    if (kind === 'subscription' || (type !== 'unknown' && type !== kind)) return undefined;
    type = kind;
  }

  return {
    method: method === 'GET' ? 'GET' : 'POST',
    isBatch,
    path,
    paths,
    kinds,
    type,
    // tRPC reads a GET's `input` only when it is non-empty, and a POST body always.
    source: method === 'GET' ? searchParams?.get('input') || null : bodyText(request.body),
  };
}

/** The query string's parameters (before any `#`), or undefined without one. */
function searchParamsOf(url: string): URLSearchParams | undefined {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return undefined;
  const hash = url.indexOf('#', queryStart);
  return new URLSearchParams(
    hash === -1 ? url.slice(queryStart + 1) : url.slice(queryStart + 1, hash),
  );
}

/** A JSON body as text (our parser hands it over unparsed), without a byte-order mark. */
function bodyText(body: unknown): string {
  const text = typeof body === 'string' ? body : body === undefined ? '' : JSON.stringify(body);
  // Fetch's body.json() ignores a byte-order mark.
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
