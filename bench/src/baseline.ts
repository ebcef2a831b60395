// The baseline server: plain Fastify routes around the same procedure functions
// (baseline-procedures.ts), answering in tRPC's `{result: {data}}` envelope. Started by
// the benchmark as `node bench/dist/baseline.js` with PORT, HOST and DATABASE_URL.
import { createDatabase } from '@trellis/db';
import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import Fastify from 'fastify';
import { ZodError } from 'zod';
import {
  authenticate,
  type Handler,
  HttpError,
  mutations,
  queries,
} from './baseline-procedures.js';

const db = createDatabase(process.env.DATABASE_URL ?? 'file:./data/trellis.db');
const app = Fastify({ logger: false });

app.setErrorHandler((error, _request, reply) => {
  if (error instanceof HttpError) return reply.code(error.status).send({ error: error.message });
  if (error instanceof ZodError) return reply.code(400).send({ error: error.issues });
  // Shared query functions (e.g. listTaskPage) refuse in tRPC's terms.
  if (error instanceof TRPCError) {
    return reply.code(getHTTPStatusCodeFromError(error)).send({ error: error.message });
  }
  console.error(error);
  return reply.code(500).send({ error: 'internal error' });
});

function handler(table: Record<string, Handler>, name: string): Handler {
  const found = table[name];
  if (!found) throw new HttpError(404, `No procedure ${name}`);
  return found;
}

function parseInput(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'input is not JSON');
  }
}

interface QueryRequest {
  Params: { procedure: string };
  Querystring: { input?: string; paths?: string };
}

app.get('/healthz', async () => ({ status: 'ok' }));

// Ten calls in one request, run one after another: the credential is validated once per
// request (as Trellis does, ctx.once), the workspace and role once per call.
app.get<QueryRequest>('/base/batch', async (request) => {
  const names = (request.query.paths ?? '').split(',');
  const inputs = (parseInput(request.query.input) ?? {}) as Record<string, unknown>;
  const user = await authenticate(db, request.headers.authorization);
  const results: unknown[] = [];
  for (const [index, name] of names.entries()) {
    const data = await handler(queries, name)(db, user, inputs[index]);
    results.push({ result: { data } });
  }
  return results;
});

app.get<QueryRequest>('/base/:procedure', async (request) => {
  const run = handler(queries, request.params.procedure);
  const user = await authenticate(db, request.headers.authorization);
  return { result: { data: await run(db, user, parseInput(request.query.input)) } };
});

app.post<{ Params: { procedure: string } }>('/base/:procedure', async (request) => {
  const run = handler(mutations, request.params.procedure);
  const user = await authenticate(db, request.headers.authorization);
  return { result: { data: await run(db, user, request.body) } };
});

const stop = () => {
  app.close().then(
    () => db.destroy().then(() => process.exit(0)),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

await app.listen({ port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? '127.0.0.1' });
