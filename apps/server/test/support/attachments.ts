// Attachments over real HTTP against the built server in a child process: the two stores
// (a directory, and an S3-compatible server, s3rver, on 127.0.0.1), streamed multipart
// uploads, what each store holds, and the server process's memory.
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { createClient } from '@trellis/client';
import { createTestDatabase, type TestDatabase } from '@trellis/db/testing';
import S3rver from 's3rver';
import { startMainProcess } from '../../src/test/main-process.js';
import { unique } from './accounts.js';
import { signUpOn } from './processes.js';
import { parseJson } from './wire.js';

/** Where a server under test keeps attachments, and what is stored there. */
export interface Backend {
  /** The server's attachment variables. */
  env: Record<string, string>;
  /** The stored keys (files of the directory, objects of the bucket), sorted. */
  stored(): Promise<string[]>;
  close(): Promise<void>;
}

const BUCKET = 'trellis-files';

/** A fresh directory store. */
export async function localBackend(): Promise<Backend> {
  const dir = await mkdtemp(join(tmpdir(), 'trellis-attachments-'));
  return {
    env: { ATTACHMENTS_DIR: dir },
    async stored() {
      const all = await readdir(dir, { recursive: true, withFileTypes: true });
      return all
        .filter((entry) => entry.isFile())
        .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
        .sort();
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

/** An s3rver on 127.0.0.1 with one bucket. */
export async function s3Backend(): Promise<Backend> {
  const dir = await mkdtemp(join(tmpdir(), 'trellis-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: dir,
    configureBuckets: [{ name: BUCKET }],
  });
  const { port } = await server.run();
  const bucket = join(dir, BUCKET);
  return {
    env: {
      ATTACHMENTS_S3_URL: `http://S3RVER:S3RVER@127.0.0.1:${port}/${BUCKET}?region=us-east-1`,
    },
    // Read from s3rver's own files (`<key>._S3rver_object`), not through a second S3 client.
    async stored() {
      const all = await readdir(bucket, { recursive: true, withFileTypes: true });
      return all
        .filter((entry) => entry.isFile() && entry.name.endsWith('._S3rver_object'))
        .map((entry) =>
          join(entry.parentPath, entry.name)
            .slice(bucket.length + 1)
            .replace(/\._S3rver_object$/, ''),
        )
        .sort();
    },
    async close() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Both stores, for describe.each: every attachment suite runs on each. */
export const ATTACHMENT_BACKENDS: [string, () => Promise<Backend>][] = [
  ['a local directory', localBackend],
  ['an S3-compatible server', s3Backend],
];

/** A file of `size` random bytes in a temp directory, and its SHA-256. */
export async function randomFile(size: number): Promise<{ path: string; sha256: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'trellis-upload-'));
  const path = join(dir, 'random.bin');
  const out = createWriteStream(path);
  const hash = createHash('sha256');
  for (let left = size; left > 0; ) {
    const chunk = randomBytes(Math.min(left, 1024 * 1024));
    hash.update(chunk);
    left -= chunk.length;
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return { path, sha256: hash.digest('hex') };
}

/** What an upload or download answered. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json: unknown;
}

/** A file part to upload: bytes in memory or a file on disk. */
export interface UploadPart {
  content: Buffer | { path: string };
  filename?: string;
  type?: string;
  /** Text fields sent before the file. */
  fields?: Record<string, string>;
  /** Send Content-Length (default) or stream the body chunked (the cap is then found while reading). */
  chunked?: boolean;
}

const BOUNDARY = '----trellis-test-boundary-7MA4YWxkTrZu0gW';

/**
 * POSTs a multipart upload with node:http, the file streamed from disk. The answer is read
 * even when the server answers before the body is sent (413), and a body cut off by it is
 * not an error.
 */
export async function upload(
  baseUrl: string,
  path: string,
  token: string,
  part: UploadPart,
): Promise<HttpAnswer> {
  const fields = Object.entries(part.fields ?? {})
    .map(
      ([name, value]) =>
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
    )
    .join('');
  const head = Buffer.from(
    `${fields}--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${
      part.filename ?? 'file.bin'
    }"\r\nContent-Type: ${part.type ?? 'application/octet-stream'}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
  const size = Buffer.isBuffer(part.content)
    ? part.content.length
    : (await stat(part.content.path)).size;
  const url = new URL(path, baseUrl);
  const headers: Record<string, string | number> = {
    authorization: `Bearer ${token}`,
    'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
  };
  if (!part.chunked) headers['content-length'] = head.length + size + tail.length;
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          json: parseJson(body.toString('utf8')),
        });
      });
    });
    // Writing into a connection the server closed after answering: the answer still counts.
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
    });
    const write = async () => {
      req.write(head);
      if (Buffer.isBuffer(part.content)) {
        req.write(part.content);
      } else {
        const file: Readable = createReadStream(part.content.path);
        for await (const chunk of file) {
          if (req.destroyed) return;
          if (!req.write(chunk)) await once(req, 'drain');
        }
      }
      req.end(tail);
    };
    write().catch(() => {
      // The server stopped reading (an early answer): the answer handler resolves.
    });
  });
}

/**
 * POSTs `body` as it is, with `contentType` (no header when null) and a Content-Length
 * matching it: for bodies `upload` would never make.
 */
export async function postRaw(
  baseUrl: string,
  path: string,
  token: string,
  contentType: string | null,
  body: Buffer,
): Promise<HttpAnswer> {
  const response = await fetch(new URL(path, baseUrl), {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      ...(contentType === null ? {} : { 'content-type': contentType }),
    },
    body,
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: bytes,
    json: parseJson(bytes.toString('utf8')),
  };
}

/** A multipart body with `boundary`: each part's headers and content, then the close. */
export function multipartBody(
  boundary: string,
  parts: { headers: string; content: string | Buffer }[],
  { close = true } = {},
): Buffer {
  return Buffer.concat([
    ...parts.flatMap((part) => [
      Buffer.from(`--${boundary}\r\n${part.headers}\r\n\r\n`),
      Buffer.from(part.content),
      Buffer.from('\r\n'),
    ]),
    Buffer.from(close ? `--${boundary}--\r\n` : ''),
  ]);
}

/**
 * Starts an upload of `declared` bytes, sends `sent` of them (waiting until the server has
 * taken them in: a socket holds far less than `sent`, so the handler is reading), then
 * drops the connection. Resolves once the socket is closed.
 */
export async function abandonUpload(
  baseUrl: string,
  path: string,
  token: string,
  sizes: { declared: number; sent: number },
): Promise<void> {
  const head = Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="cut.bin"\r\n\r\n`,
  );
  const req = httpRequest(new URL(path, baseUrl), {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
      'content-length': head.length + sizes.declared,
    },
  });
  // Not once(): it would reject on the 'error' that dropping the connection raises.
  const closed = new Promise((resolve) => req.on('close', resolve));
  req.on('error', () => {
    // Ours: the connection is dropped on purpose.
  });
  req.write(head);
  const chunk = Buffer.alloc(64 * 1024, 'x');
  for (let sent = 0; sent < sizes.sent; sent += chunk.length) {
    if (!req.write(chunk)) await once(req, 'drain');
  }
  req.destroy();
  await closed;
}

/** A GET with the given headers, the body as bytes. */
export async function download(
  baseUrl: string,
  path: string,
  token: string,
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  const response = await fetch(new URL(path, baseUrl), {
    headers: { authorization: `Bearer ${token}`, ...headers },
  });
  const body = Buffer.from(await response.arrayBuffer());
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body,
    json: parseJson(body.toString('utf8')),
  };
}

/** SHA-256 of bytes, hex. */
export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A process's resident memory now and at its peak, in bytes (Linux /proc). */
export async function memoryOf(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { rss: kb('VmRSS') * 1024, peak: kb('VmHWM') * 1024 };
}

/** The server under test: the built bundle in a child process, on a fresh database. */
export interface AttachmentServer {
  url: string;
  pid: number;
  database: TestDatabase;
  backend: Backend;
  /** Everything the server printed so far (its log). */
  output(): string;
  stop(): Promise<void>;
}

/** Starts dist/main.js on a fresh database with `backend`'s store and `env` on top. */
export async function startAttachmentServer(
  makeBackend: () => Promise<Backend>,
  env: Record<string, string> = {},
): Promise<AttachmentServer> {
  const backend = await makeBackend();
  const database = await createTestDatabase();
  const main = startMainProcess({
    DATABASE_URL: database.url,
    MIGRATE_ON_START: 'false',
    ...backend.env,
    ...env,
  });
  const stop = async () => {
    await main.stop();
    await database.destroy();
    await backend.close();
  };
  try {
    const url = await main.listening;
    return { url, pid: main.child.pid ?? 0, database, backend, output: main.output, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A person with a client of their own. */
export interface Person {
  id: string;
  token: string;
  client: ReturnType<typeof createClient>;
}

/** An owner's workspace with a project and a task, a member, a viewer and an outsider. */
export async function attachmentTeam(server: AttachmentServer) {
  const person = async (tag: string): Promise<Person> => {
    const { user, token, client } = await signUpOn(server.url, tag);
    return { id: user.id, token, client };
  };
  const [owner, member, viewer, outsider] = await Promise.all([
    person('owner'),
    person('member'),
    person('viewer'),
    person('outsider'),
  ]);
  const workspace = await owner.client.workspaces.create.mutate({
    name: 'Files',
    slug: unique('files'),
  });
  // Joined by rows: invites need mailed links, which are not what this suite is about.
  const at = new Date().toISOString();
  await server.database.db
    .insertInto('memberships')
    .values([
      { workspace_id: workspace.id, user_id: member.id, role: 'member', created_at: at },
      { workspace_id: workspace.id, user_id: viewer.id, role: 'viewer', created_at: at },
    ])
    .execute();
  const project = await owner.client.projects.create.mutate({
    workspaceId: workspace.id,
    name: 'Files',
    key: 'FIL',
  });
  const task = await member.client.tasks.create.mutate({ projectId: project.id, title: 'Bug' });
  return {
    workspaceId: workspace.id,
    projectId: project.id,
    taskId: task.id,
    owner,
    member,
    viewer,
    outsider,
  };
}

/** `/api/v1/tasks/{taskId}/attachments`. */
export const attachmentsPath = (taskId: string) => `/api/v1/tasks/${taskId}/attachments`;
