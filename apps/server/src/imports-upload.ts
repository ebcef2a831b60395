import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { imports } from '@trellis/api';
import { type Database, type Kysely, newId } from '@trellis/db';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendRestError } from './rest/errors.js';

// Import uploads: the request body is streamed to a file under IMPORT_DIR (never held in
// memory), up to IMPORT_MAX_BYTES; the job then runs in this process, one at a time, and
// the file is removed when it ends. Used by every import route (imports.ts, imports-csv.ts).

/** IMPORT_DIR and IMPORT_MAX_BYTES. */
export interface UploadSettings {
  dir: string;
  maxBytes: number;
}

/** The body was over IMPORT_MAX_BYTES: answer 413 (the partial file is already removed). */
export class UploadTooLarge extends Error {
  override name = 'UploadTooLarge';
  constructor(readonly maxBytes: number) {
    super(`The upload is larger than IMPORT_MAX_BYTES (${maxBytes} bytes)`);
  }
}

/**
 * In the scope it is called on, bodies of every content type reach the handler unread, as
 * `request.body` (a stream), for receiveUpload. Register import routes in a scope of their
 * own so that no other route loses its JSON parsing.
 */
export function streamBodies(scope: FastifyInstance): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
}

/** Whether the declared Content-Length is already over the cap (refused before reading). */
export function declaredTooLarge(request: FastifyRequest, settings: UploadSettings): boolean {
  const length = Number(request.headers['content-length']);
  return Number.isFinite(length) && length > settings.maxBytes;
}

/** Streams the request body to a new file under `dir`; its path. */
export async function receiveUpload(
  request: FastifyRequest,
  settings: UploadSettings,
): Promise<string> {
  await mkdir(settings.dir, { recursive: true });
  const file = join(settings.dir, `${newId()}.upload`);
  const out = createWriteStream(file, { flags: 'wx' });
  let bytes = 0;
  try {
    // Not destroyed on the way out: a 413 must still be answered on this connection.
    for await (const chunk of request.raw.iterator({ destroyOnReturn: false })) {
      bytes += (chunk as Buffer).length;
      if (bytes > settings.maxBytes) throw new UploadTooLarge(settings.maxBytes);
      if (!out.write(chunk)) await once(out, 'drain');
    }
    out.end();
    await finished(out);
    return file;
  } catch (error) {
    out.destroy();
    // Closed before the file goes, or a late open could bring it back.
    await finished(out).catch(() => {});
    await rm(file, { force: true });
    throw error;
  }
}

/**
 * The upload of an import route: refused with 413 at once for a declared Content-Length
 * over the cap, or as soon as a streamed body passes it (the connection then closes, so the
 * rest of the body is not read). The file's path, or null once the 413 is sent.
 */
export async function uploadOr413(
  request: FastifyRequest,
  reply: FastifyReply,
  settings: UploadSettings,
): Promise<string | null> {
  try {
    if (declaredTooLarge(request, settings)) throw new UploadTooLarge(settings.maxBytes);
    return await receiveUpload(request, settings);
  } catch (error) {
    if (!(error instanceof UploadTooLarge)) throw error;
    reply.header('connection', 'close');
    sendRestError(reply, 413, error.message);
    return null;
  }
}

/** What a job does: given a signal that says the server is closing. */
export type ImportWork = (signal: AbortSignal) => Promise<imports.ImportOutcome>;

/**
 * Runs this process's import jobs one after another. Closing aborts the running one (it
 * cleans up after itself and fails as "interrupted"); queued ones stay queued in the table
 * and are failed as interrupted by the next start (failAbandonedJobs).
 */
export class ImportRunner {
  private readonly queue: { jobId: string; file: string; work: ImportWork }[] = [];
  private readonly abort = new AbortController();
  private running: Promise<void> | null = null;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** True once closed: it takes no more jobs (a server started later on the same database gets a new one). */
  get closed(): boolean {
    return this.abort.signal.aborted;
  }

  enqueue(jobId: string, file: string, work: ImportWork): void {
    if (this.abort.signal.aborted) return;
    this.queue.push({ jobId, file, work });
    this.running ??= this.drain();
  }

  /** Resolves when no job is running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async close(): Promise<void> {
    this.abort.abort();
    this.queue.length = 0;
    await this.idle();
  }

  private async drain(): Promise<void> {
    try {
      for (let job = this.queue.shift(); job; job = this.queue.shift()) await this.run(job);
    } finally {
      this.running = null;
    }
  }

  private async run(job: { jobId: string; file: string; work: ImportWork }): Promise<void> {
    try {
      const outcome = await job.work(this.abort.signal);
      await imports.finishImportJob(this.db, job.jobId, outcome);
    } catch (error) {
      const known = error instanceof imports.ImportDocumentError;
      if (!known && !this.abort.signal.aborted) {
        this.log.error({ err: error, jobId: job.jobId }, 'import job failed');
      }
      const message = this.abort.signal.aborted
        ? imports.INTERRUPTED
        : known
          ? (error as Error).message
          : 'The import failed on the server (see its log); nothing was imported';
      await imports
        .finishImportJob(this.db, job.jobId, {
          status: 'failed',
          error: message,
          workspaceId: null,
        })
        .catch((cause: unknown) =>
          this.log.error({ err: cause }, 'could not record an import job'),
        );
    } finally {
      await rm(job.file, { force: true });
    }
  }
}

const runners = new WeakMap<Kysely<Database>, ImportRunner>();

/** The one runner of this server (keyed by its database), shared by every import route. */
export function importRunner(db: Kysely<Database>, log: FastifyBaseLogger): ImportRunner {
  let runner = runners.get(db);
  if (!runner || runner.closed) {
    runner = new ImportRunner(db, log);
    runners.set(db, runner);
  }
  return runner;
}
