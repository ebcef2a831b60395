import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseDatabaseUrl } from '@trellis/db';
import { z } from 'zod';

// Attachment settings: where files go (a directory, or an S3-compatible bucket), how big one
// may be, and how much a workspace may hold. Read once by config.ts like every setting.

const MIB = 1024 * 1024;

/** The attachment variables of the environment schema (config.ts spreads them in). */
export const attachmentEnv = {
  /** Where uploaded files are kept (default: `attachments/` beside the SQLite file). */
  ATTACHMENTS_DIR: z.string().min(1).optional(),
  /**
   * An S3-compatible bucket instead of the directory:
   * `s3://KEY:SECRET@HOST[:PORT]/BUCKET[/PREFIX]?region=REGION` (HTTPS), or `http://…` /
   * `https://…` in the same shape.
   */
  ATTACHMENTS_S3_URL: z
    .string()
    .optional()
    .superRefine((value, ctx) => {
      if (value === undefined) return;
      try {
        parseS3Url(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    }),
  /** The largest attachment; a bigger upload is refused with 413 while it streams. */
  ATTACHMENT_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(2 ** 31 - 1)
    .default(25 * MIB),
  /** The most a workspace's attachments may take together (trashed tasks' included). */
  ATTACHMENTS_WORKSPACE_QUOTA_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .max(Number.MAX_SAFE_INTEGER)
    .default(1024 * MIB),
};

/** Where an S3 store is, and how to sign in to it (never logged). */
export interface S3Location {
  endpoint: string;
  bucket: string;
  /** Keys are written under it (`prefix/…`), or at the bucket's root when empty. */
  prefix: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string } | null;
}

/** Reads ATTACHMENTS_S3_URL; throws a message that never repeats the credentials. */
export function parseS3Url(value: string): S3Location {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error('ATTACHMENTS_S3_URL is not a URL (s3://KEY:SECRET@HOST/BUCKET?region=…)');
  }
  const scheme = url.protocol.slice(0, -1);
  if (!['s3', 'http', 'https'].includes(scheme)) {
    throw new Error(`ATTACHMENTS_S3_URL: use s3://, https:// or http://, not ${scheme}://`);
  }
  if (url.hostname === '') throw new Error('ATTACHMENTS_S3_URL names no host');
  const [bucket = '', ...rest] = url.pathname.split('/').filter(Boolean);
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new Error('ATTACHMENTS_S3_URL names no valid bucket (3-63 lower-case characters)');
  }
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  if ((user === '') !== (password === '')) {
    throw new Error('ATTACHMENTS_S3_URL: give both the access key and the secret, or neither');
  }
  const protocol = scheme === 'http' ? 'http' : 'https';
  return {
    endpoint: `${protocol}://${url.host}`,
    bucket,
    prefix: rest.join('/'),
    region: url.searchParams.get('region') ?? 'us-east-1',
    credentials: user === '' ? null : { accessKeyId: user, secretAccessKey: password },
  };
}

/** The attachment part of the server's configuration. */
export interface AttachmentSettings {
  /** The directory store's directory (also where S3 uploads wait while they stream). */
  dir: string;
  /** Where uploads are streamed before they are stored. */
  incomingDir: string;
  s3: S3Location | null;
  maxBytes: number;
  quotaBytes: number;
}

interface AttachmentEnv {
  ATTACHMENTS_DIR?: string | undefined;
  ATTACHMENTS_S3_URL?: string | undefined;
  ATTACHMENT_MAX_BYTES: number;
  ATTACHMENTS_WORKSPACE_QUOTA_BYTES: number;
  DATABASE_URL: string;
}

/** The directory beside the SQLite file, or `./data/attachments` (PostgreSQL, in memory). */
function defaultDir(databaseUrl: string): string {
  const target = parseDatabaseUrl(databaseUrl);
  if (target.dialect === 'sqlite' && target.filename !== ':memory:') {
    return join(dirname(resolve(target.filename)), 'attachments');
  }
  return resolve('data', 'attachments');
}

export function attachmentSettings(e: AttachmentEnv): AttachmentSettings {
  const s3 = e.ATTACHMENTS_S3_URL === undefined ? null : parseS3Url(e.ATTACHMENTS_S3_URL);
  const dir = resolve(e.ATTACHMENTS_DIR ?? defaultDir(e.DATABASE_URL));
  return {
    dir,
    // Beside the files (a rename stores them), or in the temp directory for S3.
    incomingDir: s3 ? join(tmpdir(), 'trellis-attachments') : join(dir, '.incoming'),
    s3,
    maxBytes: e.ATTACHMENT_MAX_BYTES,
    quotaBytes: e.ATTACHMENTS_WORKSPACE_QUOTA_BYTES,
  };
}
