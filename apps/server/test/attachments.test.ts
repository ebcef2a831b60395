import { rm, writeFile } from 'node:fs/promises';
import type { RouterOutputs } from '@trellis/client';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ATTACHMENT_BACKENDS,
  type AttachmentServer,
  attachmentsPath,
  attachmentTeam,
  download,
  memoryOf,
  randomFile,
  sha256,
  startAttachmentServer,
  upload,
} from './support/attachments.js';

// Attachments over real HTTP, the same suite on both stores: a directory and an
// S3-compatible server (s3rver). The server is the built bundle in a child process, so its
// memory can be read while a big file goes through it.

type Attachment = RouterOutputs['attachments']['list'][number];

const MB = 1024 * 1024;

describe.each(ATTACHMENT_BACKENDS)('attachments on %s', (_name, makeBackend) => {
  let server: AttachmentServer;
  let team: Awaited<ReturnType<typeof attachmentTeam>>;

  beforeAll(async () => {
    server = await startAttachmentServer(makeBackend);
    team = await attachmentTeam(server);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  const post = (token: string, part: Parameters<typeof upload>[3], taskId = team.taskId) =>
    upload(server.url, attachmentsPath(taskId), token, part);

  async function uploaded(part: Parameters<typeof upload>[3]): Promise<Attachment> {
    const answer = await post(team.member.token, part);
    expect(answer.status, answer.body.toString().slice(0, 300)).toBe(201);
    return answer.json as Attachment;
  }

  it('round-trips a 20 MB file byte for byte, the server holding little of it in memory', async () => {
    // Warm up first (the store's client and the multipart parser load on first use).
    const warm = await uploaded({ content: Buffer.from('warm up') });
    expect((await download(server.url, warm.downloadUrl, team.member.token)).status).toBe(200);
    const file = await randomFile(20 * MB);
    try {
      const before = await memoryOf(server.pid);
      // Resets the peak (VmHWM) to the current RSS: the peak then covers this transfer alone.
      await writeFile(`/proc/${server.pid}/clear_refs`, '5');
      const attachment = await uploaded({ content: { path: file.path }, filename: 'big.bin' });
      expect(attachment).toMatchObject({ size: 20 * MB, sha256: file.sha256, hasPreview: false });
      const answer = await download(server.url, attachment.downloadUrl, team.viewer.token);
      expect(answer.status).toBe(200);
      expect(answer.body.length).toBe(20 * MB);
      expect(sha256(answer.body)).toBe(file.sha256);
      const after = await memoryOf(server.pid);
      console.info(
        `20 MB round trip: server peak RSS ${(after.peak / MB).toFixed(1)} MB, ` +
          `${((after.peak - before.rss) / MB).toFixed(1)} MB above the ${(before.rss / MB).toFixed(1)} MB before`,
      );
      expect(after.peak - before.rss).toBeLessThan(30 * MB);
    } finally {
      await rm(file.path, { force: true });
    }
  }, 120_000);

  it('refuses a 30 MB upload with 413 while it streams, and keeps nothing of it', async () => {
    const before = await server.backend.stored();
    const file = await randomFile(30 * MB);
    try {
      for (const chunked of [true, false]) {
        const answer = await post(team.member.token, { content: { path: file.path }, chunked });
        expect(answer.status, `chunked: ${chunked}`).toBe(413);
        expect(answer.json).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
      }
    } finally {
      await rm(file.path, { force: true });
    }
    expect(await server.backend.stored()).toEqual(before);
    const list = await team.member.client.attachments.list.query({ taskId: team.taskId });
    expect(list.map((item) => item.size)).not.toContain(30 * MB);
  }, 120_000);

  it('hides a task’s files from non-members (404), lets viewers download but not upload', async () => {
    const attachment = await uploaded({
      content: Buffer.from('secret'),
      filename: 'plan.txt',
      type: 'text/plain',
    });
    const outsider = await download(server.url, attachment.downloadUrl, team.outsider.token);
    expect(outsider.status).toBe(404);
    expect(outsider.body.toString()).not.toContain('secret');
    const listed = await download(server.url, attachmentsPath(team.taskId), team.outsider.token);
    expect(listed.status).toBe(404);
    expect((await post(team.outsider.token, { content: Buffer.from('x') })).status).toBe(404);
    const anonymous = await fetch(new URL(attachment.downloadUrl, server.url));
    expect(anonymous.status).toBe(401);

    const viewer = await download(server.url, attachment.downloadUrl, team.viewer.token);
    expect(viewer.status).toBe(200);
    expect(viewer.body.toString()).toBe('secret');
    const refused = await post(team.viewer.token, { content: Buffer.from('x') });
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ error: { code: 'FORBIDDEN' } });
    // Another task's id in the path: not found, though both are the workspace's.
    const other = await team.member.client.tasks.create.mutate({
      projectId: team.projectId,
      title: 'Other',
    });
    const elsewhere = attachment.downloadUrl.replace(team.taskId, other.id);
    expect((await download(server.url, elsewhere, team.viewer.token)).status).toBe(404);
  });

  it('serves ranges: 206 with Content-Range, 416 past the end, the whole file for several', async () => {
    const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
    const attachment = await uploaded({ content: bytes, filename: 'data.bin' });
    const get = (range: string) =>
      download(server.url, attachment.downloadUrl, team.viewer.token, { range });

    const middle = await get('bytes=100-199');
    expect(middle.status).toBe(206);
    expect(middle.headers['content-range']).toBe('bytes 100-199/1000');
    expect(middle.body.equals(bytes.subarray(100, 200))).toBe(true);
    const open = await get('bytes=990-');
    expect(open.status).toBe(206);
    expect(open.body.equals(bytes.subarray(990))).toBe(true);
    const suffix = await get('bytes=-10');
    expect(suffix.headers['content-range']).toBe('bytes 990-999/1000');
    expect(suffix.body.equals(bytes.subarray(990))).toBe(true);
    const past = await get('bytes=1000-');
    expect(past.status).toBe(416);
    expect(past.headers['content-range']).toBe('bytes */1000');
    const several = await get('bytes=0-1,5-6');
    expect(several.status).toBe(200);
    expect(several.body.equals(bytes)).toBe(true);

    const whole = await download(server.url, attachment.downloadUrl, team.viewer.token);
    expect(whole.headers['accept-ranges']).toBe('bytes');
    expect(whole.headers.etag).toBe(`"${sha256(bytes)}"`);
    const current = await download(server.url, attachment.downloadUrl, team.viewer.token, {
      'if-none-match': `"${sha256(bytes)}"`,
    });
    expect(current.status).toBe(304);
  });

  it('serves only allowed types as themselves: HTML and SVG become octet-stream attachments', async () => {
    const cases: [string, string][] = [
      ['text/html', 'application/octet-stream'],
      ['image/svg+xml', 'application/octet-stream'],
      ['application/javascript', 'application/octet-stream'],
      ['text/plain', 'text/plain'],
      ['application/pdf', 'application/pdf'],
    ];
    for (const [claimed, served] of cases) {
      const attachment = await uploaded({
        content: Buffer.from('<script>alert(1)</script>'),
        filename: 'page.html',
        type: claimed,
      });
      expect(attachment.contentType).toBe(served);
      const answer = await download(server.url, attachment.downloadUrl, team.member.token);
      expect(String(answer.headers['content-type']).split(';')[0]).toBe(served);
      expect(answer.headers['content-disposition']).toMatch(/^attachment; /);
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      expect(answer.headers['content-security-policy']).toBe("default-src 'none'; sandbox");
    }
  });

  it('keeps a name like ../../etc/passwd as a name, stored under a random key', async () => {
    const before = new Set(await server.backend.stored());
    const attachment = await uploaded({
      content: Buffer.from('root:x:0:0'),
      filename: '../../etc/passwd',
    });
    expect(attachment.filename).toBe('../../etc/passwd');
    const added = (await server.backend.stored()).filter((key) => !before.has(key));
    expect(added).toHaveLength(1);
    expect(added[0]).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    const answer = await download(server.url, attachment.downloadUrl, team.member.token);
    expect(answer.headers['content-disposition']).toBe(
      `attachment; filename=".._.._etc_passwd"; filename*=UTF-8''..%2F..%2Fetc%2Fpasswd`,
    );
    const unicode = await uploaded({ content: Buffer.from('x'), filename: 'résumé final.txt' });
    const named = await download(server.url, unicode.downloadUrl, team.member.token);
    expect(named.headers['content-disposition']).toBe(
      `attachment; filename="r_sum_ final.txt"; filename*=UTF-8''r%C3%A9sum%C3%A9%20final.txt`,
    );
  });

  it('is in the OpenAPI document beside attachments.list / .delete, and answers 405 with Allow', async () => {
    const document = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { operationId?: string } | string>>;
    };
    const ids = (path: string) =>
      Object.values(document.paths[path] ?? {}).flatMap((operation) =>
        typeof operation === 'object' && operation.operationId ? [operation.operationId] : [],
      );
    expect(ids('/tasks/{taskId}/attachments').sort()).toEqual([
      'attachments.list',
      'attachments.upload',
    ]);
    expect(ids('/tasks/{taskId}/attachments/{attachmentId}').sort()).toEqual([
      'attachments.delete',
      'attachments.download',
    ]);
    expect(ids('/tasks/{taskId}/attachments/{attachmentId}/preview')).toEqual([
      'attachments.preview',
    ]);
    const put = await fetch(new URL(attachmentsPath(team.taskId), server.url), {
      method: 'PUT',
      headers: { authorization: `Bearer ${team.member.token}` },
    });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, HEAD, POST');
  });

  it('makes a small WebP preview of an image, and answers 404 for one of anything else', async () => {
    const png = await sharp({
      create: { width: 1200, height: 800, channels: 3, background: '#3366cc' },
    })
      .png()
      .toBuffer();
    const image = await uploaded({ content: png, filename: 'shot.png', type: 'image/png' });
    expect(image).toMatchObject({ hasPreview: true, contentType: 'image/png' });
    const preview = await download(server.url, image.previewUrl ?? '', team.viewer.token);
    expect(preview.status).toBe(200);
    expect(preview.headers['content-type']).toBe('image/webp');
    const meta = await sharp(preview.body).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 320, 213]);

    const text = await uploaded({ content: Buffer.from('no image'), type: 'image/png' });
    expect(text).toMatchObject({ hasPreview: false, previewUrl: null });
    const none = await download(server.url, `${text.downloadUrl}/preview`, team.viewer.token);
    expect(none.status).toBe(404);
  });
});
