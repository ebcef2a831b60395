import { imports } from '@trellis/api';
import type { Database, Kysely } from '@trellis/db';
import type { FastifyInstance } from 'fastify';
import { sendRefusal } from './imports.js';
import {
  declaredTooLarge,
  importRunner,
  receiveUpload,
  streamBodies,
  type UploadSettings,
  UploadTooLarge,
} from './imports-upload.js';
import type { RequestContexts } from './request-context.js';
import { sendRestError } from './rest/errors.js';

// The CSV task import: `POST /api/v1/workspaces/{workspaceId}/import/tasks.csv` with the
// CSV as the body. A plain route rather than a REST table row, because its body streams to
// a file (imports-upload.ts) instead of being parsed; the job then runs in this process's
// import queue, and the caller polls imports.get. Refusals come before the body is read,
// in the order every procedure gives them: who (401, 404, 403), then the input (400, 404
// for the project, 409 archived), then the body (415, 413).

export interface CsvImportRoutesOptions extends UploadSettings {
  db: Kysely<Database>;
  contexts: RequestContexts;
  now: () => Date;
}

const CSV_TYPE = /^text\/csv\s*(;|$)/i;

export async function csvImportRoutes(scope: FastifyInstance, options: CsvImportRoutesOptions) {
  const { db, contexts, now } = options;
  const runner = importRunner(db, scope.log);
  streamBodies(scope);

  scope.post('/workspaces/:workspaceId/import/tasks.csv', async (request, reply) => {
    const { workspaceId } = request.params as { workspaceId: string };
    let target: Awaited<ReturnType<typeof imports.authorizeImportInto>>;
    let csv: imports.CsvTaskImportOptions;
    try {
      target = await imports.authorizeImportInto(contexts.create(request, reply), workspaceId);
      csv = imports.csvImportOptions(request.query as Record<string, unknown>);
      await imports.checkCsvImportTarget(db, target.workspaceId, csv.projectId);
    } catch (error) {
      return sendRefusal(reply, error);
    }
    if (!CSV_TYPE.test(String(request.headers['content-type'] ?? ''))) {
      return sendRestError(reply, 415, 'Send the file as text/csv (UTF-8)');
    }
    if (declaredTooLarge(request, options)) {
      reply.header('connection', 'close');
      return sendRestError(reply, 413, new UploadTooLarge(options.maxBytes).message);
    }
    let file: string;
    try {
      file = await receiveUpload(request, options);
    } catch (error) {
      if (!(error instanceof UploadTooLarge)) throw error;
      reply.header('connection', 'close');
      return sendRestError(reply, 413, error.message);
    }
    const { actor } = target;
    // A token's import belongs to the token's creator, who polls it.
    const job = await imports.createImportJob(db, {
      kind: 'tasks.csv',
      userId: actor.userId,
      workspaceId: target.workspaceId,
      file,
      now: now(),
    });
    runner.enqueue(job.id, file, (signal) =>
      imports.runCsvTaskImport(
        db,
        { file, workspaceId: target.workspaceId, actor, options: csv, signal },
        now,
        imports.progressReporter(db, job.id),
      ),
    );
    return reply
      .status(202)
      .header('location', `/api/v1/imports/${job.id}`)
      .send(imports.importJobView(job));
  });
}
