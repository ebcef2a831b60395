import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

// Where attachment bytes live. Keys are random ids the server makes (never a user's
// filename), so no key can name a path outside the store.

/** A byte range, both ends included. */
export interface ByteRange {
  start: number;
  end: number;
}

/** An attachment store: a directory (LocalStore) or an S3-compatible bucket (S3Store). */
export interface AttachmentStore {
  /** Stores the finished upload at `file` (`size` bytes) under `key`; `file` is then gone. */
  put(key: string, file: string, size: number): Promise<void>;
  /** The stored bytes, or `range` of them. */
  read(key: string, range?: ByteRange): Promise<Readable>;
  /** Removes `key`; nothing happens when it is not there. */
  remove(key: string): Promise<void>;
  /** What the log may say about it (never credentials). */
  readonly description: string;
  /** Lets go of connections (when the server closes). */
  close?(): void;
}

const KEY = /^[A-Za-z0-9_-]+(\.preview)?$/;

/** Refuses anything but the keys the server makes (defence in depth). */
export function checkKey(key: string): string {
  if (!KEY.test(key)) throw new Error('not an attachment key');
  return key;
}

/** Files in a directory (ATTACHMENTS_DIR), each named by its key. */
export class LocalStore implements AttachmentStore {
  readonly description: string;

  constructor(private readonly dir: string) {
    this.description = `directory ${dir}`;
  }

  private path(key: string): string {
    return join(this.dir, checkKey(key));
  }

  async put(key: string, file: string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    // The upload waits in <dir>/.incoming: the same file system, so this is a rename.
    await rename(file, this.path(key));
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const path = this.path(key);
    // Opened (and found) before the answer starts, so a missing file is an error here.
    await stat(path);
    return createReadStream(path, range ? { start: range.start, end: range.end } : {});
  }

  async remove(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }
}
