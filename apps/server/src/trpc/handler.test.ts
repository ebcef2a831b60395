import { initTRPC, TRPCError, type TRPCProcedureType } from '@trpc/server';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HANDLERS } from '../../test/support/handlers.js';
import { type TrpcHandlerKind, trpcHandler } from './handler.js';

// The corners the Trellis router cannot reach (a transformer, a thrown plain Error, a
// promise in a result, a failing context, tRPC's own batch limit), on a small router of its
// own served by the handler plugin alone: the lean handler must answer them as tRPC's
// adapter does, and leave Fastify nothing to complain about.

interface MiniContext {
  fail: boolean;
}

const mini = initTRPC.context<MiniContext>().create({
  isDev: false,
  // A transformer that changes the wire shape, to prove both handlers apply it alike.
  transformer: {
    serialize: (value: unknown) => ({ wrapped: value }),
    deserialize: (value: unknown) => (value as { wrapped: unknown } | undefined)?.wrapped,
  },
});
const miniRouter = mini.router({
  echo: mini.procedure.input(z.object({ n: z.number() })).query(({ input }) => input),
  boom: mini.procedure.query(() => {
    throw new Error('database exploded');
  }),
  stream: mini.procedure.query(() => ({ later: Promise.resolve(1) })),
  nothing: mini.procedure.mutation(() => undefined),
  teapot: mini.procedure.mutation(() => {
    throw new TRPCError({ code: 'CONFLICT', message: 'Already there' });
  }),
});

interface MiniServer {
  app: FastifyInstance;
  url: string;
  /** What onError heard. */
  errors: { code: string; path: string | undefined; type: TRPCProcedureType | 'unknown' }[];
  /** Errors Fastify handled and warnings it logged (a second reply, a failed write). */
  fastifyErrors: string[];
}

const miniServers = {} as Record<TrpcHandlerKind, MiniServer>;

beforeAll(async () => {
  for (const handler of HANDLERS) {
    const errors: MiniServer['errors'] = [];
    const fastifyErrors: string[] = [];
    const app = Fastify({
      logger: { level: 'warn', stream: { write: (line: string) => fastifyErrors.push(line) } },
    });
    app.addHook('onError', async (_request, _reply, error) => {
      fastifyErrors.push(error.message);
    });
    // Async hooks between send and the socket, as the real server has.
    for (let hook = 0; hook < 3; hook += 1) {
      app.addHook('onSend', async (_request, _reply, payload) => payload);
    }
    await app.register(
      async (scope) => {
        await scope.register(trpcHandler<typeof miniRouter>, {
          handler,
          trpcOptions: {
            router: miniRouter,
            maxBatchSize: 5,
            createContext: ({ req }) => {
              if (req.headers['x-context'] === 'throw') throw new Error('no context');
              return { fail: false };
            },
            onError: ({ error, path, type }) => errors.push({ code: error.code, path, type }),
          },
        });
      },
      { prefix: '/trpc' },
    );
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    miniServers[handler] = {
      app,
      url: `http://127.0.0.1:${address.port}`,
      errors,
      fastifyErrors,
    };
  }
});

afterAll(async () => {
  for (const handler of HANDLERS) await miniServers[handler]?.app.close();
});

const wrapped = (input: unknown) => encodeURIComponent(JSON.stringify({ wrapped: input }));
const MINI_CASES: Record<
  string,
  { method: 'GET' | 'POST'; url: string; headers?: Record<string, string> }
> = {
  'transformed input and output': { method: 'GET', url: `/trpc/echo?input=${wrapped({ n: 1 })}` },
  'transformed validation error': { method: 'GET', url: `/trpc/echo?input=${wrapped({ n: 'x' })}` },
  'a plain Error becomes INTERNAL_SERVER_ERROR': { method: 'GET', url: '/trpc/boom' },
  'a promise inside the result is refused': { method: 'GET', url: '/trpc/stream' },
  'a promise inside a batch result is refused': {
    method: 'GET',
    url: `/trpc/stream,echo?batch=1&input=${encodeURIComponent(JSON.stringify({ 1: { wrapped: { n: 2 } } }))}`,
  },
  'an undefined result': { method: 'POST', url: '/trpc/nothing' },
  'a thrown TRPCError': { method: 'POST', url: '/trpc/teapot' },
  'a context that throws': { method: 'GET', url: '/trpc/echo', headers: { 'x-context': 'throw' } },
  'a batch over tRPC’s own maxBatchSize': { method: 'GET', url: '/trpc/a,b,c,d,e,f?batch=1' },
};

describe('the lean handler matches the official one on a router with a transformer', () => {
  it.each(Object.entries(MINI_CASES))('%s', async (_name, { method, url, headers }) => {
    const seen: Record<string, unknown> = {};
    for (const handler of HANDLERS) {
      const { url: base, errors, fastifyErrors } = miniServers[handler];
      errors.length = 0;
      fastifyErrors.length = 0;
      const response = await fetch(`${base}${url}`, {
        method,
        headers: {
          ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(method === 'POST' ? { body: '{}' } : {}),
      });
      const reply = {
        statusCode: response.status,
        headers: {
          'content-type': response.headers.get('content-type'),
          vary: response.headers.get('vary'),
        },
        body: await response.text(),
      };
      // Whatever Fastify logs after the answer is out (a second reply) arrives a tick later.
      await new Promise((resolve) => setTimeout(resolve, 20));
      seen[handler] = {
        status: reply.statusCode,
        contentType: reply.headers['content-type'],
        vary: reply.headers.vary,
        body: reply.body,
        errors: [...errors],
        fastifyErrors: [...fastifyErrors],
      };
    }
    expect(seen.lean).toEqual(seen.official);
    expect(seen.lean).toMatchObject({ fastifyErrors: [] });
  });
});
