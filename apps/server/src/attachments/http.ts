import { FORMAT_CHARACTER } from '@trellis/api';
import type { ByteRange } from './store.js';

// What a download's headers say: the type it is served as, its filename, and the range.

/**
 * Types served as themselves. Anything else (text/html, SVG, XML, JavaScript: what a
 * browser would run) is served as application/octet-stream; every download is also
 * `attachment`, `nosniff` and under a CSP that runs nothing.
 */
const ALLOWED_TYPES: ReadonlySet<string> = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/avif',
  'application/pdf',
  'text/plain',
  'text/csv',
  'application/json',
  'application/zip',
  'application/gzip',
  'application/x-tar',
  'video/mp4',
  'video/webm',
  'audio/mpeg',
  'audio/ogg',
]);

/** Images a preview is made of. */
export const PREVIEWED_TYPES: ReadonlySet<string> = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
]);

/** The type an upload is stored and served as: its claimed type if allowed, else octet-stream. */
export function servedType(claimed: string | undefined): string {
  const type = (claimed ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return ALLOWED_TYPES.has(type) ? type : 'application/octet-stream';
}

/**
 * Invisible format characters (\p{Cf}) but the zero-width joiner and non-joiner: the rule
 * of display names (`formatFree` in @trellis/api's schemas.ts, which refuses them; a
 * filename drops them instead, since an upload cannot be asked to retype its name).
 * `invoice\u202Egpj.exe` would otherwise display as `invoiceexe.jpg`.
 */
const FORMAT_CHARACTERS = new RegExp(FORMAT_CHARACTER.source, 'gu');

/**
 * The filename to keep, as the client sent it (`../../etc/passwd` stays that name: it is
 * only ever shown and sent back in Content-Disposition, never used as a path), without
 * control characters or invisible format characters, at most 255 characters; `file` when
 * nothing is left.
 */
export function cleanFilename(raw: string | undefined): string {
  const name = Array.from(
    (raw ?? '')
      .normalize('NFC')
      .replace(/\p{Cc}/gu, '')
      .replace(FORMAT_CHARACTERS, '')
      .trim(),
  )
    .slice(0, 255)
    .join('');
  return name === '' ? 'file' : name;
}

/**
 * `Content-Disposition: attachment` with the name twice (RFC 6266): an ASCII fallback
 * (`filename="…"`, quotes, backslashes, slashes and non-ASCII replaced) and the exact name
 * (`filename*=UTF-8''…`, RFC 5987).
 */
export function contentDisposition(filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\/%]/g, '_');
  const exact = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${fallback}"; filename*=UTF-8''${exact}`;
}

/** A download's security headers: never rendered as a page, never sniffed, never run. */
export const DOWNLOAD_HEADERS = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; sandbox",
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'private, no-cache',
} as const;

/** True when `If-None-Match` names `etag`: the client's copy is current (304). */
export function notModified(ifNoneMatch: string | undefined, etag: string): boolean {
  return ifNoneMatch?.split(',').some((tag) => tag.trim() === etag) ?? false;
}

/**
 * The byte range a `Range` header asks of `size` bytes: a range, 'unsatisfiable' (416), or
 * null for the whole file (no header, another unit, several ranges, or a header we do not
 * read: RFC 9110 lets a server ignore Range).
 */
export function requestedRange(
  header: string | undefined,
  size: number,
): ByteRange | 'unsatisfiable' | null {
  if (header === undefined) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return null;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return null;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}
