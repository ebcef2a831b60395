import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import type { MultipartFile } from '@fastify/multipart';
import { newId } from '@trellis/db';
import type { FastifyRequest } from 'fastify';

// An upload's one file part, streamed to a temp file while it is hashed and counted: never
// whole in memory. Every part of the body is read, so that a second file or a field after
// the file is seen, not silently dropped. Whatever goes wrong, the temp file is removed and
// one of the errors below (or the store's own) is thrown.

/** The file was larger than ATTACHMENT_MAX_BYTES. */
export class AttachmentTooLarge extends Error {
  override name = 'AttachmentTooLarge';
  constructor(readonly maxBytes: number) {
    super(`The file is larger than ATTACHMENT_MAX_BYTES (${maxBytes} bytes)`);
  }
}

/** The body is not an upload we take: the route answers 400 with `fieldErrors`, if any. */
export class UploadRefused extends Error {
  override name = 'UploadRefused';
  constructor(
    message: string,
    readonly fieldErrors?: Record<string, string[]>,
  ) {
    super(message);
  }
}

/** The client went away before its body ended: nobody is left to answer. */
export class UploadAborted extends Error {
  override name = 'UploadAborted';
  constructor(readonly reason: string) {
    super('The client closed the connection during the upload');
  }
}

/**
 * How many parts an upload body may have (docs/api.md "Upload" states them). `parts` is a
 * backstop: one file and ten fields are over their own limits first.
 */
export const UPLOAD_LIMITS = { files: 1, fields: 10, parts: 20, fieldSize: 1024 } as const;

/** A received upload, waiting in `file`. */
export interface ReceivedFile {
  file: string;
  size: number;
  sha256: string;
  filename: string;
  claimedType: string;
  /** Text fields, before or after the file (the first of a name wins). */
  fields: Record<string, string>;
}

/** Room a multipart body needs beyond the file itself (boundaries, part headers, fields). */
export const MULTIPART_OVERHEAD = 64 * 1024;

const NOT_MULTIPART = 'The body is not well-formed multipart/form-data';

/**
 * What a parser error means. @fastify/multipart's limits carry FST_ codes; busboy's own
 * ("Multipart: Boundary not found", "Unexpected end of multipart data", …) carry none and
 * all mean a body we cannot read. A connection that closed mid-body is the client leaving.
 */
function refusalOf(error: unknown, request: FastifyRequest): Error {
  const code = error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined;
  if (
    code === 'ECONNRESET' ||
    code === 'FST_MP_PREMATURE_CLOSE' ||
    (request.raw.destroyed && !request.raw.readableEnded)
  ) {
    return new UploadAborted(error instanceof Error ? error.message : String(error));
  }
  switch (code) {
    case 'FST_FILES_LIMIT':
      return new UploadRefused('Send one file per upload', { file: ['One file per upload'] });
    case 'FST_FIELDS_LIMIT':
      return new UploadRefused(`An upload has at most ${UPLOAD_LIMITS.fields} text fields`);
    case 'FST_PARTS_LIMIT':
      return new UploadRefused(`An upload has at most ${UPLOAD_LIMITS.parts} parts`);
    case 'FST_PROTO_VIOLATION':
      return new UploadRefused('A part is named like an object property (__proto__, …)');
    case 'FST_INVALID_JSON_FIELD_ERROR':
      return new UploadRefused('A field declared as application/json is not JSON');
  }
  // Anything else with a code is ours or the system's (a full disk): not the client's fault.
  if (!(error instanceof Error)) return new Error(String(error));
  if (code !== undefined || error instanceof TypeError) return error;
  return new UploadRefused(NOT_MULTIPART);
}

/** Streams `part` to a new temp file in `dir`; removes it on any failure. */
async function writePart(
  part: MultipartFile,
  options: { dir: string; maxBytes: number },
): Promise<Omit<ReceivedFile, 'fields'>> {
  await mkdir(options.dir, { recursive: true });
  const file = join(options.dir, `${newId()}.upload`);
  const out = createWriteStream(file, { flags: 'wx' });
  // Kept until awaited below: an 'error' with no listener would end the process.
  let writeError: Error | undefined;
  out.on('error', (error) => {
    writeError = error;
  });
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of part.file) {
      const bytes = chunk as Buffer;
      size += bytes.length;
      if (size > options.maxBytes) throw new AttachmentTooLarge(options.maxBytes);
      hash.update(bytes);
      if (writeError) throw writeError;
      if (!out.write(bytes)) await once(out, 'drain');
    }
    if (part.file.truncated) throw new AttachmentTooLarge(options.maxBytes);
    out.end();
    await finished(out);
  } catch (error) {
    out.destroy();
    // Closed before the file goes, or a late open could bring it back.
    await finished(out).catch(() => {});
    await rm(file, { force: true });
    throw error;
  }
  return {
    file,
    size,
    sha256: hash.digest('hex'),
    filename: part.filename,
    claimedType: part.mimetype,
  };
}

/** Drains a part we refuse, so that the parser reaches the end of the body. */
async function skip(part: MultipartFile): Promise<void> {
  for await (const _ of part.file) {
    // dropped
  }
}

export async function receiveFile(
  request: FastifyRequest,
  options: { dir: string; maxBytes: number },
): Promise<ReceivedFile> {
  const fields: Record<string, string> = {};
  let received: Omit<ReceivedFile, 'fields'> | undefined;
  // Gone while the upload was authorized: the parser would wait for a 'close' already past.
  if (request.raw.destroyed) throw new UploadAborted('closed before the body was read');
  try {
    // One byte past the cap marks the part truncated; we count ourselves too. The name is
    // kept as sent (it is never a path here): busboy would cut directories off.
    const parts = request.parts({
      limits: { ...UPLOAD_LIMITS, fileSize: options.maxBytes + 1 },
      preservePath: true,
    });
    for await (const part of parts) {
      if (part.type === 'field') {
        if (!(part.fieldname in fields)) fields[part.fieldname] = String(part.value);
      } else if (received) {
        // Busboy refuses a second file itself (files: 1); this holds if that limit grows.
        await skip(part);
        throw new UploadRefused('Send one file per upload', { file: ['One file per upload'] });
      } else {
        received = await writePart(part, options);
      }
    }
  } catch (error) {
    if (received) await rm(received.file, { force: true });
    if (error instanceof AttachmentTooLarge || error instanceof UploadRefused) throw error;
    throw refusalOf(error, request);
  }
  if (!received) {
    throw new UploadRefused('Send one file part (multipart/form-data)', { file: ['Required'] });
  }
  return { ...received, fields };
}
