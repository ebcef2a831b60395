import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { newId } from '@trellis/db';
import type { FastifyBaseLogger } from 'fastify';
import type { Sharp, SharpOptions } from 'sharp';
import { PREVIEWED_TYPES } from './http.js';
import type { AttachmentStore } from './store.js';

// A small preview of an uploaded image (320 px on its longer side, WebP), made while the
// upload is answered, where cheap: images up to PREVIEW_MAX_BYTES and PREVIEW_MAX_PIXELS.
// Anything sharp cannot read simply has no preview.

/** The longer side of a preview, in pixels. */
export const PREVIEW_SIZE = 320;
const PREVIEW_MAX_BYTES = 10 * 1024 * 1024;
const PREVIEW_MAX_PIXELS = 40_000_000;

type SharpFactory = (input: string, options: SharpOptions) => Sharp;
let loaded: Promise<SharpFactory> | undefined;

/**
 * sharp (libvips), loaded at the first preview: a server that never receives an image does
 * not carry the native library's memory (about 15 MB of RSS). One image at a time, with
 * libvips' own cache off: a preview must not cost the server more memory than one decode.
 */
function loadSharp(): Promise<SharpFactory> {
  loaded ??= import('sharp').then(({ default: sharp }) => {
    sharp.cache(false);
    sharp.concurrency(1);
    return sharp;
  });
  return loaded;
}

/** Stores a preview of `file` under `<key>.preview`; the key, or null when none was made. */
export async function storePreview(
  store: AttachmentStore,
  upload: { file: string; size: number; contentType: string; key: string; dir: string },
  log: FastifyBaseLogger,
): Promise<string | null> {
  if (!PREVIEWED_TYPES.has(upload.contentType) || upload.size > PREVIEW_MAX_BYTES) return null;
  let image: Buffer;
  try {
    const sharp = await loadSharp();
    image = await sharp(upload.file, { limitInputPixels: PREVIEW_MAX_PIXELS, animated: false })
      .rotate()
      .resize(PREVIEW_SIZE, PREVIEW_SIZE, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 70 })
      .toBuffer();
  } catch {
    // Not an image sharp reads (or a claimed type that lied): no preview.
    return null;
  }
  const key = `${upload.key}.preview`;
  const temp = join(upload.dir, `${newId()}.preview`);
  try {
    await writeFile(temp, image);
    await store.put(key, temp, image.length);
    return key;
  } catch (error) {
    log.warn({ err: error }, 'could not store an attachment preview');
    return null;
  } finally {
    await rm(temp, { force: true });
  }
}
