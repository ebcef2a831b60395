import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { type Context, imports } from '@trellis/api';
import { createDatabase, type Database, dialectOf, type Kysely } from '@trellis/db';
import { getTRPCErrorFromUnknown } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { importRunner, streamBodies, type UploadSettings, uploadOr413 } from './imports-upload.js';
import type { RequestContexts } from './request-context.js';
import { sendRestError } from './rest/errors.js';

// workspaces.export and workspaces.import: REST routes under /api/v1 served here rather
// than by the REST table, because their bodies stream (tRPC reads whole bodies). Access is
// decided by the same builders and resolver as every procedure (@trellis/api imports
// guards), answered in the REST error shape.

export interface ImportRoutesOptions extends UploadSettings {
  db: Kysely<Database>;
  contexts: RequestContexts;
  now: () => Date;
  /** DATABASE_URL: on SQLite an export reads through a connection of its own. */
  databaseUrl: string;
}

/** A guard's refusal (a TRPCError) as a REST error answer. */
export function sendRefusal(reply: FastifyReply, cause: unknown): FastifyReply {
  const error = getTRPCErrorFromUnknown(cause);
  const status = getHTTPStatusCodeFromError(error);
  if (status >= 500) throw cause;
  const issues = (
    error.cause as { issues?: { path: PropertyKey[]; message: string }[] } | undefined
  )?.issues;
  const fieldErrors = issues
    ? Object.fromEntries(issues.map((issue) => [issue.path.map(String).join('.'), [issue.message]]))
    : undefined;
  return sendRestError(reply, status, error.message, fieldErrors, error.code);
}

/**
 * SQLite serves every query of the process on one connection, and a transaction holds it:
 * an export's read transaction gets a connection of its own (WAL: a snapshot that never
 * holds writers up). An in-memory database has no second connection to open.
 */
function exportConnection(options: ImportRoutesOptions) {
  if (dialectOf(options.db) === 'postgres' || options.databaseUrl.includes(':memory:')) {
    return { db: options.db, close: async () => {} };
  }
  const db = createDatabase(options.databaseUrl);
  return { db, close: () => db.destroy() };
}

function stringQuery(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

export async function importRoutes(scope: FastifyInstance, options: ImportRoutesOptions) {
  const { db, contexts, now } = options;
  const runner = importRunner(db, scope.log);
  // Jobs a dead process of this machine left: failed, their files removed. Once the server
  // is ready, in the background: a database that does not answer yet must not keep the
  // server from starting (its /readyz says so).
  scope.addHook('onReady', async () => {
    const cleanUp = async () => {
      for (const file of await imports.failAbandonedJobs(db, now()))
        await rm(file, { force: true });
    };
    void cleanUp().catch((error: unknown) =>
      scope.log.warn({ err: error }, 'could not fail the import jobs a dead process left'),
    );
  });
  scope.addHook('onClose', () => runner.close());
  streamBodies(scope);

  scope.get('/workspaces/:workspaceId/export', async (request, reply) => {
    const { workspaceId } = request.params as { workspaceId: string };
    let workspace: { id: string; slug: string };
    try {
      workspace = await imports.authorizeExport(contexts.create(request, reply), workspaceId);
    } catch (error) {
      return sendRefusal(reply, error);
    }
    const connection = exportConnection(options);
    const body = Readable.from(imports.exportWorkspace(connection.db, workspace.id, now()), {
      objectMode: false,
    });
    body.once('close', () => void connection.close());
    return reply
      .type('application/json')
      .header('content-disposition', `attachment; filename="${workspace.slug}-export.json"`)
      .header('cache-control', 'no-store')
      .send(body);
  });

  scope.post('/workspaces/import', async (request, reply) => {
    let ctx: Context;
    let caller: { userId: string; name?: string | undefined; slug?: string | undefined };
    try {
      ctx = contexts.create(request, reply);
      const input: { name?: string; slug?: string } = {};
      const name = stringQuery(request, 'name');
      const slug = stringQuery(request, 'slug');
      if (name !== undefined) input.name = name;
      if (slug !== undefined) input.slug = slug;
      caller = await imports.authorizeWorkspaceImport(ctx, input);
    } catch (error) {
      return sendRefusal(reply, error);
    }
    if (caller.slug !== undefined && (await imports.slugTaken(db, caller.slug))) {
      return sendRestError(reply, 409, 'A workspace with this slug already exists', {
        slug: ['Taken: choose another'],
      });
    }
    const type = String(request.headers['content-type'] ?? '');
    if (!/^application\/json\b/i.test(type)) {
      return sendRestError(reply, 415, 'Send the export document as application/json');
    }
    const file = await uploadOr413(request, reply, options);
    if (file === null) return reply;
    const job = await imports.createImportJob(db, {
      kind: 'workspace',
      userId: caller.userId,
      workspaceId: null,
      file,
      now: now(),
    });
    runner.enqueue(job.id, file, (signal) =>
      imports.importWorkspace(db, {
        jobId: job.id,
        file,
        userId: caller.userId,
        name: caller.name,
        slug: caller.slug,
        now,
        signal,
      }),
    );
    return reply
      .status(202)
      .header('location', `/api/v1/imports/${job.id}`)
      .send(imports.importJobView(job));
  });
}
