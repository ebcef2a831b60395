import {
  type AnyTRPCRouter,
  getErrorShape,
  getTRPCErrorFromUnknown,
  type inferRouterContext,
  TRPCError,
  type TRPCProcedureType,
} from '@trpc/server';
import { fastifyRequestHandler, fastifyTRPCPlugin } from '@trpc/server/adapters/fastify';
import { getHTTPStatusCode } from '@trpc/server/http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './errors.js';
import { queryValidators } from './etag.js';
import { checkedUtf8Stream, utf8Text } from './utf8-body.js';

// A tRPC v11 HTTP handler for queries and mutations that works on Fastify's request and
// reply directly. The official adapter turns every request into a Fetch Request (URL,
// Headers, AbortController, body stream) and every answer into a streamed Response; for
// small JSON calls that machinery costs about a third of the server's time. This handler
// answers exactly what the official one answers (the differential tests in
// trpc-handler.test.ts compare them) and hands every request it does not cover —
// subscriptions, HEAD and other methods, multipart / octet-stream bodies, JSONL
// streaming, connection params, unparseable paths or hosts — to the official handler.

/** Methods `new Request()` refuses that reach routes (Node's parser takes CONNECT itself). */
const FETCH_FORBIDDEN_METHODS = new Set(['TRACE']);

/** Which tRPC HTTP handler serves `/trpc`: the lean one, or tRPC's own Fastify adapter. */
export type TrpcHandlerKind = 'lean' | 'official';

/** What either handler needs: a subset of the official adapter's `trpcOptions`. */
export interface TrpcOptions<TRouter extends AnyTRPCRouter> {
  router: TRouter;
  /** Builds the procedures' context; called once per HTTP request, batches included. */
  createContext(opts: {
    req: FastifyRequest;
    res: FastifyReply;
  }): inferRouterContext<TRouter> | Promise<inferRouterContext<TRouter>>;
  /** Called for every failed call, as the official adapter's `onError`. */
  onError?(opts: {
    error: TRPCError;
    type: TRPCProcedureType | 'unknown';
    path: string | undefined;
    input: unknown;
    ctx: inferRouterContext<TRouter> | undefined;
    req: FastifyRequest;
  }): void;
  /** Batches longer than this are refused (400, as tRPC does). */
  maxBatchSize?: number;
}

/** Options of {@link trpcPlugin}. */
export interface TrpcPluginOptions<TRouter extends AnyTRPCRouter> {
  handler: TrpcHandlerKind;
  trpcOptions: TrpcOptions<TRouter>;
}

/**
 * Serves tRPC at `<scope prefix>/:path` with the chosen handler. Register it inside the
 * scope whose prefix is the tRPC endpoint (e.g. `/trpc`).
 */
export async function trpcPlugin<TRouter extends AnyTRPCRouter>(
  scope: FastifyInstance,
  { handler, trpcOptions }: TrpcPluginOptions<TRouter>,
): Promise<void> {
  // tRPC's adapter builds a Fetch Request, whose constructor throws for the methods Fetch
  // forbids: a TRACE would be a 500. No tRPC call uses it; it is 405, as PUT is.
  scope.addHook('onRequest', (request, reply, done) => {
    if (!FETCH_FORBIDDEN_METHODS.has(request.method)) {
      done();
      return;
    }
    sendError(reply.header('allow', 'GET, POST'), 405, `Unsupported ${request.method}-request`);
  });
  // A query's answer from tRPC's adapter (a Fetch Response: TRPC_HANDLER=official, or what
  // the lean handler leaves to it) gets the lean handler's validators.
  scope.addHook('onSend', (request, _reply, payload, done) => {
    if (!(payload instanceof Response) || request.method !== 'GET' || payload.status !== 200) {
      done(null, payload);
      return;
    }
    const type = payload.headers.get('content-type');
    if (type === null || mediaType(type) !== JSON_TYPE) {
      done(null, payload);
      return;
    }
    payload.text().then((text) => {
      const { headers, notModified } = queryValidators(request, text);
      const answer = new Headers(payload.headers);
      for (const [name, value] of Object.entries(headers)) answer.set(name, value);
      const status = notModified ? 304 : 200;
      done(null, new Response(notModified ? null : text, { status, headers: answer }));
    }, done);
  });
  if (handler === 'official') {
    // Its JSON parser decodes bad UTF-8 to U+FFFD; the body is checked on its way in.
    scope.addHook('preParsing', (request, _reply, payload, done) => {
      const type = request.headers['content-type'];
      done(
        null,
        type !== undefined && mediaType(type) === JSON_TYPE ? checkedUtf8Stream(payload) : payload,
      );
    });
    await scope.register(fastifyTRPCPlugin, { trpcOptions });
    return;
  }
  // The same body parsers the official plugin installs: JSON arrives as a string (tRPC
  // parses it, so a bad body is a tRPC error, not Fastify's), multipart as the raw stream;
  // but a body that is not UTF-8 is refused (400) rather than decoded to U+FFFD.
  scope.removeContentTypeParser('application/json');
  scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => {
    try {
      done(null, utf8Text(body as Buffer));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  scope.removeContentTypeParser('multipart/form-data');
  scope.addContentTypeParser('multipart/form-data', {}, (_req, body, done) => {
    done(null, body);
  });
  const handle = createLeanHandler(trpcOptions);
  // Not an async route: Fastify would take the settled promise for "the handler returned
  // nothing" and send a second reply while the first is still in its onSend hooks.
  scope.all<{ Params: { path: string } }>('/:path', (request, reply) => {
    handle(request, reply).catch((error: unknown) => reply.send(error));
  });
}

/** A procedure as tRPC calls it at run time (its public type is not callable). */
interface RuntimeProcedure {
  (opts: {
    path: string;
    getRawInput: () => Promise<unknown>;
    ctx: unknown;
    type: TRPCProcedureType;
    signal?: AbortSignal;
    batchIndex: number;
  }): Promise<unknown>;
  _def: { type: TRPCProcedureType };
}

type Call =
  | { ok: true; data: unknown }
  | { ok: false; error: TRPCError; procedure: RuntimeProcedure | undefined };

/**
 * The inputs of one request's calls (`{"0": input, "1": input}` for a batch), parsed once,
 * the first time a call asks: tRPC reads them only when a procedure's input parser runs,
 * so a middleware that throws first (UNAUTHORIZED) wins over a malformed input.
 */
class Inputs {
  private state: 'unread' | 'read' | 'failed' = 'unread';
  private values: Record<number, unknown> = {};
  private error: unknown;

  constructor(
    private readonly source: string | null,
    private readonly isBatch: boolean,
    private readonly count: number,
    private readonly deserialize: (value: unknown) => unknown,
  ) {}

  read(index: number): Promise<unknown> {
    if (this.state === 'unread') this.load();
    return this.state === 'read' ? Promise.resolve(this.values[index]) : Promise.reject(this.error);
  }

  /** The input of a call if it was parsed, for error reports (as tRPC's `call.result()`). */
  result(index: number): unknown {
    return this.state === 'read' ? this.values[index] : undefined;
  }

  private load(): void {
    try {
      const inputs: unknown = this.source === null ? undefined : JSON.parse(this.source);
      const values: Record<number, unknown> = Object.create(null);
      if (inputs !== undefined) {
        if (!this.isBatch) {
          values[0] = this.deserialize(inputs);
        } else {
          if (!isObject(inputs)) {
            throw new TRPCError({
              code: 'BAD_REQUEST',
              message: '"input" needs to be an object when doing a batch call',
            });
          }
          for (let index = 0; index < this.count; index += 1) {
            const input = inputs[index];
            if (input !== undefined) values[index] = this.deserialize(input);
          }
        }
      }
      this.values = values;
      this.state = 'read';
    } catch (cause) {
      this.state = 'failed';
      this.error =
        cause instanceof TRPCError
          ? cause
          : new TRPCError({
              code: 'BAD_REQUEST',
              message: cause instanceof Error ? cause.message : 'Invalid input',
              cause,
            });
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return !!value && !Array.isArray(value) && typeof value === 'object';
}

function isAsyncIterable(value: unknown): boolean {
  return isObject(value) && Symbol.asyncIterator in value;
}

function isPromise(value: unknown): boolean {
  if (!(isObject(value) || typeof value === 'function')) return false;
  const { then, catch: onCatch } = value as { then?: unknown; catch?: unknown };
  return typeof then === 'function' && typeof onCatch === 'function';
}

/** tRPC's test for results that only its streaming links can carry. */
function isDataStream(value: unknown): boolean {
  if (!isObject(value)) return false;
  if (isAsyncIterable(value)) return true;
  const values = Object.values(value);
  return values.some(isPromise) || values.some(isAsyncIterable);
}

/** `type` (no parameters, lower case) of a Content-Type header, as tRPC compares it. */
function mediaType(header: string): string {
  const semicolon = header.indexOf(';');
  return (semicolon === -1 ? header : header.slice(0, semicolon)).trim().toLowerCase();
}

/** A header as Fetch's Headers gives it: repeated values joined. */
function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The JSON-lines streaming answer tRPC's `httpBatchStreamLink` asks for, as tRPC detects it. */
function wantsJsonLines(request: FastifyRequest): boolean {
  const trpcAccept = headerValue(request.headers['trpc-accept']);
  if (trpcAccept !== undefined) return trpcAccept === 'application/jsonl';
  const accept = request.headers.accept;
  return accept?.split(',').some((type) => type.trim() === 'application/jsonl') === true;
}

/** The Vary header every tRPC answer carries. */
const VARY = 'trpc-accept, accept';
const JSON_TYPE = 'application/json';
/** Hosts already known to make a valid URL (tRPC answers 400 to the others). */
const MAX_KNOWN_HOSTS = 64;

/**
 * Builds the lean request handler: everything that does not depend on the request (the
 * procedure table, the error formatter, the transformer, the fallback) is looked up here,
 * once.
 */
export function createLeanHandler<TRouter extends AnyTRPCRouter>(
  options: TrpcOptions<TRouter>,
): (request: FastifyRequest<{ Params: { path: string } }>, reply: FastifyReply) => Promise<void> {
  const { router, createContext, onError, maxBatchSize } = options;
  const config = router._def._config;
  const procedures = router._def.procedures as unknown as Record<
    string,
    RuntimeProcedure | undefined
  >;
  const hasLazyRouters = Object.keys(router._def.lazy).length > 0;
  const deserialize = (value: unknown) => config.transformer.input.deserialize(value);
  const serialize = (value: unknown) => config.transformer.output.serialize(value);
  const knownHosts = new Set<string>();

  const official = (request: FastifyRequest<{ Params: { path: string } }>, reply: FastifyReply) =>
    fastifyRequestHandler({ ...options, req: request, res: reply, path: request.params.path });

  /** Whether tRPC could build its `new URL(...)` from this request's Host. */
  function hostIsValid(request: FastifyRequest): boolean {
    const host = request.headers.host ?? headerValue(request.headers[':authority']) ?? 'localhost';
    if (knownHosts.has(host)) return true;
    try {
      new URL(`http://${host}`);
    } catch {
      return false;
    }
    if (knownHosts.size >= MAX_KNOWN_HOSTS) knownHosts.clear();
    knownHosts.add(host);
    return true;
  }

  function errorShape(
    error: TRPCError,
    ctx: inferRouterContext<TRouter> | undefined,
    type: TRPCProcedureType | 'unknown',
    path: string | undefined,
    input: unknown,
  ) {
    return getErrorShape({ config, error, type, path, input, ctx });
  }

  function send(reply: FastifyReply, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    if (status === 200 && reply.request.method === 'GET') {
      // A query's answer: validated by its ETag (etag.ts), never shared between callers.
      const { headers, notModified } = queryValidators(reply.request, text);
      reply.headers(headers);
      if (notModified) {
        reply.code(304).send();
        return;
      }
    } else {
      reply.header('vary', VARY);
    }
    // A Buffer keeps Fastify from appending "; charset=utf-8" to the type, as tRPC's
    // Response does not have it either.
    reply.code(status).header('content-type', JSON_TYPE).send(Buffer.from(text));
  }

  return async function leanHandler(request, reply) {
    const method = request.method;
    const contentType = request.headers['content-type'];
    if (method === 'POST') {
      if (contentType === undefined || mediaType(contentType) !== JSON_TYPE) {
        return official(request, reply);
      }
    } else if (method === 'GET') {
      if (contentType !== undefined) {
        const type = mediaType(contentType);
        // tRPC refuses these on GET; its own handler says how.
        if (type === 'multipart/form-data' || type === 'application/octet-stream') {
          return official(request, reply);
        }
      }
    } else {
      return official(request, reply);
    }
    if (wantsJsonLines(request) || !hostIsValid(request)) return official(request, reply);

    let path = request.params.path;
    if (path.includes('%')) {
      // tRPC decodes the (already decoded) path once more; a bad escape is its 400.
      try {
        path = decodeURIComponent(path);
      } catch {
        return official(request, reply);
      }
    }

    const url = request.raw.url ?? '';
    const queryStart = url.indexOf('?');
    let searchParams: URLSearchParams | undefined;
    if (queryStart !== -1) {
      const hash = url.indexOf('#', queryStart);
      searchParams = new URLSearchParams(
        hash === -1 ? url.slice(queryStart + 1) : url.slice(queryStart + 1, hash),
      );
      if (searchParams.has('connectionParams')) return official(request, reply);
    }
    const isBatch = searchParams?.get('batch') === '1';
    const paths = isBatch ? path.split(',') : [path];
    const count = paths.length;
    if (isBatch && maxBatchSize !== undefined && count > maxBatchSize) {
      return official(request, reply);
    }

    const calls: (RuntimeProcedure | undefined)[] = new Array(count);
    let type: TRPCProcedureType | 'unknown' = 'unknown';
    for (let index = 0; index < count; index += 1) {
      const procedure = procedures[paths[index] as string];
      if (procedure === undefined && hasLazyRouters) return official(request, reply);
      calls[index] = procedure;
      if (procedure === undefined) continue;
      const procedureType = procedure._def.type;
      // Subscriptions stream; a batch mixing types is a request-level error.
      if (procedureType === 'subscription') return official(request, reply);
      if (type !== 'unknown' && type !== procedureType) return official(request, reply);
      type = procedureType;
    }

    let source: string | null;
    if (method === 'GET') {
      // tRPC reads a GET's `input` only when it is non-empty, and a POST body always.
      source = searchParams?.get('input') || null;
    } else {
      const body: unknown = request.body;
      const text = typeof body === 'string' ? body : body === undefined ? '' : JSON.stringify(body);
      // Fetch's body.json() ignores a byte-order mark.
      source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    }
    const inputs = new Inputs(source, isBatch, count, deserialize);
    const accepted = method === 'GET' ? 'query' : 'mutation';

    let ctx: inferRouterContext<TRouter> | undefined;
    let ctxError: TRPCError | undefined;
    try {
      ctx = await createContext({ req: request, res: reply });
    } catch (cause) {
      ctxError = getTRPCErrorFromUnknown(cause);
    }

    const run = async (index: number): Promise<Call> => {
      const procedure = calls[index];
      const callPath = paths[index] as string;
      try {
        if (procedure === undefined) {
          throw new TRPCError({
            code: 'NOT_FOUND',
            message: `No procedure found on path "${callPath}"`,
          });
        }
        const procedureType = procedure._def.type;
        if (procedureType !== accepted) {
          throw new TRPCError({
            code: 'METHOD_NOT_SUPPORTED',
            message: `Unsupported ${method}-request to ${procedureType} procedure at path "${callPath}"`,
          });
        }
        if (ctxError) throw ctxError;
        const data = await procedure({
          path: callPath,
          getRawInput: () => inputs.read(index),
          ctx,
          type: procedureType,
          // No `signal`: only subscriptions (served by the official handler) watch for
          // aborts, and tRPC copies every key of these options at each middleware level.
          batchIndex: index,
        });
        return { ok: true, data };
      } catch (cause) {
        const error = getTRPCErrorFromUnknown(cause);
        onError?.({
          error,
          path: callPath,
          input: inputs.result(index),
          ctx,
          type: procedure?._def.type ?? 'unknown',
          req: request,
        });
        return { ok: false, error, procedure };
      }
    };

    if (!isBatch) {
      const result = await run(0);
      if (result.ok) {
        if (isDataStream(result.data)) {
          // tRPC raises this outside the call, so its answer carries no path.
          const error = new TRPCError({
            code: 'UNSUPPORTED_MEDIA_TYPE',
            message:
              'Cannot use stream-like response in non-streaming request - use httpBatchStreamLink',
          });
          onError?.({ error, path: undefined, input: undefined, ctx, type, req: request });
          const body = { error: errorShape(error, ctx, type, undefined, undefined) };
          send(reply, getHTTPStatusCode(body), { error: serialize(body.error) });
          return;
        }
        send(reply, 200, { result: { data: serialize(result.data) } });
        return;
      }
      const body = { error: errorShape(result.error, ctx, type, path, inputs.result(0)) };
      send(reply, getHTTPStatusCode(body), { error: serialize(body.error) });
      return;
    }

    const pending: Promise<Call>[] = new Array(count);
    for (let index = 0; index < count; index += 1) pending[index] = run(index);
    const results = await Promise.all(pending);
    const envelopes = new Array<
      { result: { data: unknown } } | { error: ReturnType<typeof errorShape> }
    >(count);
    for (let index = 0; index < count; index += 1) {
      const result = results[index] as Call;
      if (result.ok && !isDataStream(result.data)) {
        envelopes[index] = { result: { data: result.data } };
        continue;
      }
      const error = result.ok
        ? new TRPCError({
            code: 'UNSUPPORTED_MEDIA_TYPE',
            message:
              'Cannot use stream-like response in non-streaming request - use httpBatchStreamLink',
          })
        : result.error;
      const procedure = result.ok ? calls[index] : result.procedure;
      envelopes[index] = {
        error: errorShape(
          error,
          ctx,
          procedure?._def.type ?? 'unknown',
          paths[index],
          inputs.result(index),
        ),
      };
    }
    const status = getHTTPStatusCode(envelopes);
    send(
      reply,
      status,
      envelopes.map((envelope) =>
        'error' in envelope
          ? { error: serialize(envelope.error) }
          : { result: { data: serialize(envelope.result.data) } },
      ),
    );
  };
}
