import { rm } from 'node:fs/promises';
import { buffer } from 'node:stream/consumers';
import multipart from '@fastify/multipart';
import { attachments } from '@trellis/api';
import { type Database, type Kysely, newId } from '@trellis/db';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendRefusal } from '../imports.js';
import type { RequestContexts } from '../request-context.js';
import { handleRestFrameworkError, sendRestError } from '../rest/errors.js';
import {
  cleanFilename,
  contentDisposition,
  DOWNLOAD_HEADERS,
  notModified,
  requestedRange,
  servedType,
} from './http.js';
import { ATTACHMENT_PATH_METHODS } from './openapi.js';
import { storePreview } from './preview.js';
import {
  AttachmentTooLarge,
  MULTIPART_OVERHEAD,
  type ReceivedFile,
  receiveFile,
  UploadAborted,
  UploadRefused,
} from './receive.js';
import type { AttachmentSettings } from './settings.js';
import { type AttachmentStore, LocalStore } from './store.js';
import { AttachmentSweeper } from './sweeper.js';

// Uploading, downloading and previewing attachments: plain routes under /api/v1 (their
// bodies stream; tRPC reads whole bodies). Who may call them is decided by the same
// builders and resolver as every procedure (@trellis/api attachments guards). Listing and
// deleting are procedures (attachments.list / attachments.delete).

export interface AttachmentRoutesOptions {
  db: Kysely<Database>;
  contexts: RequestContexts;
  now: () => Date;
  settings: AttachmentSettings;
  /** How often files of deleted rows are looked for (SESSION_SWEEP_INTERVAL_MS). */
  sweepIntervalMs: number;
}

const ID = /^[\x21-\x7e]{1,64}$/;

/**
 * The configured store. The S3 client is loaded only when ATTACHMENTS_S3_URL is set: it is
 * hundreds of modules a server on a directory never needs.
 */
async function openStore(settings: AttachmentSettings): Promise<AttachmentStore> {
  if (!settings.s3) return new LocalStore(settings.dir);
  const { S3Store } = await import('./s3-store.js');
  return new S3Store(settings.s3);
}

/**
 * 413 at once. What the client still sends is read and dropped (never stored): closing the
 * connection with unread bytes would reset it, and a client still sending its body (no
 * `Expect: 100-continue`) would lose the answer with it. REQUEST_TIMEOUT_MS bounds the wait.
 */
function tooLarge(request: FastifyRequest, reply: FastifyReply, maxBytes: number): FastifyReply {
  request.raw.resume();
  return sendRestError(reply, 413, new AttachmentTooLarge(maxBytes).message);
}

function commentIdOf(request: FastifyRequest, received: ReceivedFile): string | null | 'invalid' {
  const fromQuery = (request.query as Record<string, unknown>).commentId;
  const value = typeof fromQuery === 'string' ? fromQuery : received.fields.commentId;
  if (value === undefined || value === '') return null;
  return ID.test(value) ? value : 'invalid';
}

export async function attachmentRoutes(scope: FastifyInstance, options: AttachmentRoutesOptions) {
  const { db, contexts, now, settings } = options;
  const store = await openStore(settings);
  const sweeper = new AttachmentSweeper(db, store, now, scope.log);
  const wake = () => sweeper.wake();
  let interval: NodeJS.Timeout | undefined;
  scope.addHook('onReady', async () => {
    scope.log.debug({ store: store.description }, 'attachment store');
    attachments.attachmentDeletions.on('queued', wake);
    interval = setInterval(wake, options.sweepIntervalMs).unref();
    wake();
  });
  scope.addHook('onClose', async () => {
    clearInterval(interval);
    attachments.attachmentDeletions.off('queued', wake);
    await sweeper.close();
    store.close?.();
  });
  // These are REST routes: whatever escapes a handler answers in the REST error shape.
  scope.setErrorHandler(handleRestFrameworkError);
  // receive.ts counts the bytes itself and answers 413 in the REST shape.
  await scope.register(multipart, { throwFileSizeLimit: false });
  // The REST table's 405 knows only its own methods on these shared paths: the others are
  // answered here, with every method the path serves.
  for (const [path, served] of Object.entries(ATTACHMENT_PATH_METHODS)) {
    const others = (['POST', 'PUT', 'PATCH', 'DELETE'] as const).filter((m) => !served.includes(m));
    scope.route({
      method: [...others],
      url: path.replace(/\{(\w+)\}/g, ':$1'),
      handler: (request, reply) => {
        reply.header('allow', served.join(', '));
        return sendRestError(
          reply,
          405,
          `${request.method.slice(0, 20)} is not served here; this path serves ${served.join(', ')}`,
        );
      },
    });
  }

  scope.post('/tasks/:taskId/attachments', async (request, reply) => {
    const { taskId } = request.params as { taskId: string };
    let guard: Awaited<ReturnType<typeof attachments.authorizeUpload>>;
    try {
      guard = await attachments.authorizeUpload(contexts.create(request, reply), taskId);
    } catch (error) {
      return sendRefusal(reply, error);
    }
    if (!request.isMultipart()) {
      return sendRestError(reply, 415, 'Send the file as multipart/form-data (one file part)');
    }
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > settings.maxBytes + MULTIPART_OVERHEAD) {
      return tooLarge(request, reply, settings.maxBytes);
    }
    let received: ReceivedFile;
    try {
      received = await receiveFile(request, {
        dir: settings.incomingDir,
        maxBytes: settings.maxBytes,
      });
    } catch (error) {
      if (error instanceof AttachmentTooLarge) return tooLarge(request, reply, settings.maxBytes);
      if (error instanceof UploadRefused) {
        // Unread bytes would reset the connection with the answer (see tooLarge).
        request.raw.resume();
        return sendRestError(reply, 400, error.message, error.fieldErrors);
      }
      if (error instanceof UploadAborted) {
        // The client's own doing (a closed tab, a lost network), not the server's error.
        request.log.info(
          { taskId, reason: error.reason },
          'attachment upload aborted by the client',
        );
        return sendRestError(reply, 400, error.message);
      }
      throw error;
    }
    const commentId = commentIdOf(request, received);
    if (commentId === 'invalid') {
      await rm(received.file, { force: true });
      return sendRestError(reply, 400, 'commentId is not an ID', {
        commentId: ['Must be an ID as issued'],
      });
    }
    const contentType = servedType(received.claimedType);
    const key = newId();
    let previewKey: string | null = null;
    try {
      previewKey = await storePreview(
        store,
        { file: received.file, size: received.size, contentType, key, dir: settings.incomingDir },
        request.log,
      );
      await store.put(key, received.file, received.size);
    } catch (error) {
      await rm(received.file, { force: true });
      if (previewKey) await store.remove(previewKey).catch(() => {});
      throw error;
    }
    try {
      const view = await attachments.recordAttachment(
        db,
        now,
        {
          id: newId(),
          workspaceId: guard.workspaceId,
          taskId,
          commentId,
          filename: cleanFilename(received.filename),
          contentType,
          size: received.size,
          sha256: received.sha256,
          storageKey: key,
          previewKey,
          actor: guard.actor,
        },
        settings.quotaBytes,
      );
      return reply.status(201).header('location', view.downloadUrl).send(view);
    } catch (error) {
      // Not recorded: the stored files go (no row points at them).
      await store.remove(key).catch(() => {});
      if (previewKey) await store.remove(previewKey).catch(() => {});
      if (error instanceof attachments.AttachmentQuotaExceeded) {
        return sendRestError(reply, 409, error.message);
      }
      return sendRefusal(reply, error);
    }
  });

  /** The attachment a download names, or null once a refusal is sent. */
  async function located(request: FastifyRequest, reply: FastifyReply) {
    const { taskId, attachmentId } = request.params as { taskId: string; attachmentId: string };
    let workspaceId: string;
    try {
      ({ workspaceId } = await attachments.authorizeRead(contexts.create(request, reply), taskId));
    } catch (error) {
      sendRefusal(reply, error);
      return null;
    }
    const found = ID.test(attachmentId)
      ? await attachments.findAttachment(db, workspaceId, attachmentId, taskId)
      : undefined;
    if (!found) {
      sendRestError(reply, 404, 'Attachment not found');
      return null;
    }
    return found;
  }

  scope.get('/tasks/:taskId/attachments/:attachmentId', async (request, reply) => {
    const found = await located(request, reply);
    if (!found) return reply;
    const { view, storageKey } = found;
    const etag = `"${view.sha256}"`;
    reply
      .headers(DOWNLOAD_HEADERS)
      .header('etag', etag)
      .header('accept-ranges', 'bytes')
      .header('content-disposition', contentDisposition(view.filename));
    if (notModified(request.headers['if-none-match'], etag)) {
      return reply.status(304).send();
    }
    const ifRange = request.headers['if-range'];
    const range =
      ifRange === undefined || ifRange === etag
        ? requestedRange(request.headers.range, view.size)
        : null;
    if (range === 'unsatisfiable') {
      reply.header('content-range', `bytes */${view.size}`);
      return sendRestError(reply, 416, `The range is outside the file's ${view.size} bytes`);
    }
    const body = await store.read(storageKey, range ?? undefined);
    reply.type(view.contentType);
    if (range) {
      return reply
        .status(206)
        .header('content-range', `bytes ${range.start}-${range.end}/${view.size}`)
        .header('content-length', range.end - range.start + 1)
        .send(body);
    }
    return reply.header('content-length', view.size).send(body);
  });

  scope.get('/tasks/:taskId/attachments/:attachmentId/preview', async (request, reply) => {
    const found = await located(request, reply);
    if (!found) return reply;
    if (!found.previewKey) return sendRestError(reply, 404, 'This attachment has no preview');
    // A preview's bytes never change once made, so the original's hash names them too.
    const etag = `"${found.view.sha256}.preview"`;
    reply
      .headers(DOWNLOAD_HEADERS)
      .header('etag', etag)
      .header('content-disposition', 'inline; filename="preview.webp"');
    if (notModified(request.headers['if-none-match'], etag)) {
      return reply.status(304).send();
    }
    // A few KiB (320 px WebP): read whole, so that Content-Length is known.
    const body = await buffer(await store.read(found.previewKey));
    return reply.type('image/webp').header('content-length', body.length).send(body);
  });
}
