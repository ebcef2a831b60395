import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { newId } from '@trellis/db';
import type { FastifyRequest } from 'fastify';

// An upload's one file part, streamed to a temp file while it is hashed and counted: never
// whole in memory. Over the limit, the partial file is removed and AttachmentTooLarge
// thrown at once (the route answers 413 and closes the connection, so the rest of the body
// is not read).

/** The file was larger than ATTACHMENT_MAX_BYTES. */
export class AttachmentTooLarge extends Error {
  override name = 'AttachmentTooLarge';
  constructor(readonly maxBytes: number) {
    super(`The file is larger than ATTACHMENT_MAX_BYTES (${maxBytes} bytes)`);
  }
}

/** The body held no file part. */
export class NoFilePart extends Error {
  override name = 'NoFilePart';
  constructor() {
    super('Send one file part (multipart/form-data)');
  }
}

/** A received upload, waiting in `file`. */
export interface ReceivedFile {
  file: string;
  size: number;
  sha256: string;
  filename: string;
  claimedType: string;
  /** Text fields sent before the file part. */
  fields: Record<string, string>;
}

/** Room a multipart body needs beyond the file itself (boundaries, part headers, fields). */
export const MULTIPART_OVERHEAD = 64 * 1024;

export async function receiveFile(
  request: FastifyRequest,
  options: { dir: string; maxBytes: number },
): Promise<ReceivedFile> {
  const part = await request.file({
    // One byte past the cap marks the part truncated; we count ourselves too.
    limits: { fileSize: options.maxBytes + 1, files: 1, fields: 10, fieldSize: 1024, parts: 12 },
    // The name is kept as sent (it is never a path here): busboy would cut directories off.
    preservePath: true,
    throwFileSizeLimit: false,
  });
  if (!part) throw new NoFilePart();
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(part.fields)) {
    const field = Array.isArray(value) ? value[0] : value;
    if (field && field.type === 'field' && typeof field.value === 'string') {
      fields[name] = field.value;
    }
  }
  await mkdir(options.dir, { recursive: true });
  const file = join(options.dir, `${newId()}.upload`);
  const out = createWriteStream(file, { flags: 'wx' });
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of part.file) {
      const bytes = chunk as Buffer;
      size += bytes.length;
      if (size > options.maxBytes) throw new AttachmentTooLarge(options.maxBytes);
      hash.update(bytes);
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
    fields,
  };
}
