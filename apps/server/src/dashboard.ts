import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { sendNotFound } from './errors.js';

// The dashboard (apps/dashboard) is a static single-page app: Vite writes index.html and
// content-hashed files under assets/. The whole build (~0.4 MB, ~2 MB with source maps) is
// read into memory at the first request for it, so a request is a Map lookup: no file
// system access per request, and no path from a URL ever reaches the file system. Requests
// reach this only through the 404 handler, i.e. after every API route has had its chance.

/** Prefixes that belong to the API: an unknown path under them stays a JSON 404. */
const API_PREFIXES = ['/trpc', '/api', '/auth', '/healthz'];

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

/** Types worth compressing (images and fonts are compressed already). */
const COMPRESSIBLE = /^(text\/|application\/(json|manifest\+json)|image\/svg)/;

/**
 * Sent with every dashboard response. The CSP allows only same-origin scripts, styles and
 * connections: Vite's build has no inline script (its module preload polyfill is part of
 * the entry chunk) and links its CSS as a file; images may also be `data:` URLs, which is
 * how Vite inlines small assets. Referrer-Policy `same-origin`: dashboard URLs name
 * workspaces and tasks, and no other site learns them from a followed link.
 */
export const DASHBOARD_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "connect-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

/** Hashed file names never change content: browsers may keep them for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html and unhashed files: revalidated on every use (cheap: ETag → 304). */
const REVALIDATE = 'no-cache';

interface StaticFile {
  body: Buffer;
  /** Filled in the background after the first request; served once present. */
  gzipped: Buffer | null;
  /** Text of 1 kB or more: sent gzipped when the client accepts it (and it is ready). */
  compressible: boolean;
  compression: 'pending' | 'running' | 'done';
  type: string;
  etag: string;
  cacheControl: string;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/** How a build is served. */
export interface DashboardOptions {
  /** DASHBOARD_DIR: where the build is. */
  dir: string;
  /**
   * NODE_ENV=production: source maps are neither served nor pointed at. The same build
   * serves every mode (the image builds it, then runs with NODE_ENV=production), so Vite
   * keeps writing maps and the server decides: they show the sources (comments, names,
   * code paths) to anyone who asks, which a developer's server may do and a public one not.
   */
  production: boolean;
}

/** A script's or style sheet's closing source-map comment (`//# sourceMappingURL=…`). */
const SOURCE_MAP_COMMENT =
  /(?:\/\/[#@] sourceMappingURL=[^\n]*|\/\*[#@] sourceMappingURL=[^*]*\*\/)\s*$/;
/** Files that may end with one. */
const MAPPED_TYPES = new Set(['.js', '.mjs', '.css']);

/** `body` without its trailing source-map comment, if it has one. */
function withoutSourceMapComment(body: Buffer): Buffer {
  const text = body.toString('utf8');
  const stripped = text.replace(SOURCE_MAP_COMMENT, '');
  return stripped === text ? body : Buffer.from(stripped, 'utf8');
}

async function loadBuild(dir: string, options: DashboardOptions): Promise<Map<string, StaticFile>> {
  const files = new Map<string, StaticFile>();
  await Promise.all(
    (await listFiles(dir)).map(async (path) => {
      const extension = extname(path).toLowerCase();
      // Never read, so never served: a request for one is a 404 like any missing file.
      if (options.production && extension === '.map') return;
      const urlPath = `/${relative(dir, path).split(sep).join('/')}`;
      const read = await readFile(path);
      const body =
        options.production && MAPPED_TYPES.has(extension) ? withoutSourceMapComment(read) : read;
      const type = CONTENT_TYPES[extension] ?? 'application/octet-stream';
      const compressible = body.length >= 1024 && COMPRESSIBLE.test(type);
      files.set(urlPath, {
        body,
        gzipped: null,
        compressible,
        compression: compressible ? 'pending' : 'done',
        type,
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
        cacheControl: urlPath.startsWith('/assets/') ? IMMUTABLE : REVALIDATE,
      });
    }),
  );
  if (!files.has('/index.html')) throw new Error(`${dir} has no index.html`);
  return files;
}

const gzipAsync = promisify(gzip);

/**
 * Starts compressing `file` on the thread pool the first time it is asked for; until the
 * result is there it goes out uncompressed. Nothing is compressed that nobody requests
 * (test servers, API-only use), and no request waits for it.
 */
function compressOnce(file: StaticFile, log: FastifyBaseLogger): void {
  if (file.compression !== 'pending') return;
  file.compression = 'running';
  gzipAsync(file.body, { level: 9 }).then(
    (gzipped) => {
      file.compression = 'done';
      if (gzipped.length < file.body.length) file.gzipped = gzipped;
    },
    (error: unknown) => {
      file.compression = 'done';
      log.warn({ err: error }, 'dashboard: compression failed');
    },
  );
}

function isApiPath(path: string): boolean {
  return API_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

function matchesEtag(header: string | undefined, etag: string): boolean {
  return (header ?? '').split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || trimmed.replace(/^W\//, '') === etag;
  });
}

/** Whether Accept-Encoding lists gzip without refusing it (`gzip;q=0`). */
function acceptsGzip(header: string | undefined): boolean {
  return (header ?? '').split(',').some((part) => {
    const [name = '', ...params] = part.split(';');
    return (
      name.trim().toLowerCase() === 'gzip' &&
      !params.some((param) => /^\s*q=0(\.0*)?\s*$/.test(param))
    );
  });
}

function sendFile(request: FastifyRequest, reply: FastifyReply, file: StaticFile): FastifyReply {
  reply
    .headers(DASHBOARD_SECURITY_HEADERS)
    .header('content-type', file.type)
    .header('cache-control', file.cacheControl)
    .header('etag', file.etag);
  if (file.compressible) reply.header('vary', 'accept-encoding');
  if (matchesEtag(request.headers['if-none-match'], file.etag)) return reply.code(304).send();
  if (file.compressible && acceptsGzip(request.headers['accept-encoding'])) {
    if (file.gzipped) return reply.code(200).header('content-encoding', 'gzip').send(file.gzipped);
    compressOnce(file, request.log);
  }
  return reply.code(200).send(file.body);
}

function sendNotBuilt(reply: FastifyReply, dir: string): FastifyReply {
  return reply
    .code(503)
    .headers(DASHBOARD_SECURITY_HEADERS)
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(
      '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Trellis</title></head>' +
        '<body><h1>The dashboard is not built</h1><p>The API is running. Build the dashboard ' +
        '(<code>pnpm --filter @trellis/dashboard build</code>, or <code>pnpm start</code>) and ' +
        `restart the server; it looks in DASHBOARD_DIR (${escapeHtml(dir)}).</p></body></html>`,
    );
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Serves the built dashboard from `dir`: its files by path (hashed assets cached for a
 * year, the rest revalidated), and index.html for any other GET that wants HTML outside
 * the API's prefixes, so the app's own routes (/w/acme/tasks) load on reload. It is the
 * server's not-found handler: the dashboard answers what no route matched, and anything
 * else gets the JSON 404. The build is read at the first request for it, not at the start
 * (which it would slow by tens of milliseconds, for every test server too). When `dir`
 * holds no build, the server still starts, warns, and `/` says how to build the dashboard.
 * In production, source maps stay private (`options.production`). Registered without
 * encapsulation: unmatched requests are the whole server's.
 */
export const dashboardSite = fastifyPlugin(serveDashboard, {
  name: 'trellis-dashboard',
  fastify: '5.x',
});

function serveDashboard(
  app: FastifyInstance,
  options: DashboardOptions,
  done: (error?: Error) => void,
): void {
  const { dir } = options;
  /** undefined until the first dashboard request has read the build; null: no build. */
  let files: Map<string, StaticFile> | null | undefined;
  let loading: Promise<void> | undefined;
  const load = () => {
    loading ??= loadBuild(dir, options).then(
      (loaded) => {
        files = loaded;
      },
      (error: unknown) => {
        files = null;
        const missing = (error as { code?: string }).code === 'ENOENT';
        app.log.warn(missing ? {} : { err: error }, `dashboard: cannot read the build in ${dir}`);
      },
    );
    return loading;
  };
  app.addHook('onReady', (ready) => {
    if (!existsSync(join(dir, 'index.html'))) {
      app.log.warn(
        `dashboard: no build in ${dir}; / says so until it is built (pnpm --filter @trellis/dashboard build) and the server restarted`,
      );
    }
    ready();
  });

  const answer = (
    request: FastifyRequest,
    reply: FastifyReply,
    path: string,
    build: Map<string, StaticFile> | null,
  ): FastifyReply => {
    const file = build?.get(path === '/' ? '/index.html' : path);
    if (file) return sendFile(request, reply, file);
    // A missing hashed file is a 404, never the page: a stale tab would run HTML as script.
    if (path.startsWith('/assets/')) return sendNotFound(request, reply);
    if (path !== '/' && !request.headers.accept?.includes('text/html')) {
      return sendNotFound(request, reply);
    }
    const index = build?.get('/index.html');
    return index ? sendFile(request, reply, index) : sendNotBuilt(reply, dir);
  };

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0] ?? '/';
    if ((request.method !== 'GET' && request.method !== 'HEAD') || isApiPath(path)) {
      return sendNotFound(request, reply);
    }
    if (files !== undefined) return answer(request, reply, path, files);
    return load().then(() => answer(request, reply, path, files ?? null));
  });
  done();
}
