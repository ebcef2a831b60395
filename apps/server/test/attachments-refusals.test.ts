import type { RouterOutputs } from '@trellis/client';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ATTACHMENT_BACKENDS,
  type AttachmentServer,
  abandonUpload,
  attachmentsPath,
  attachmentTeam,
  download,
  multipartBody,
  postRaw,
  startAttachmentServer,
  upload,
} from './support/attachments.js';

// Uploads the server refuses, the same suite on both stores: bodies that are not readable
// multipart, too many parts, a second file, and a client that leaves mid-upload. Each is a
// 4xx in the REST error shape and leaves nothing behind (the local store's listing includes
// its `.incoming` directory, where uploads stream to). Also what a kept filename and a
// preview look like.

type Attachment = RouterOutputs['attachments']['list'][number];

const MB = 1024 * 1024;
const BOUNDARY = 'refusal-boundary-42';
const MULTIPART = `multipart/form-data; boundary=${BOUNDARY}`;
const FILE_HEADERS = 'Content-Disposition: form-data; name="file"; filename="a.txt"';
const field = (name: string) => ({
  headers: `Content-Disposition: form-data; name="${name}"`,
  content: 'v',
});

describe.each(ATTACHMENT_BACKENDS)('refused uploads on %s', (_name, makeBackend) => {
  let server: AttachmentServer;
  let team: Awaited<ReturnType<typeof attachmentTeam>>;

  beforeAll(async () => {
    server = await startAttachmentServer(makeBackend);
    team = await attachmentTeam(server);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  const post = (contentType: string | null, body: Buffer | string) =>
    postRaw(
      server.url,
      attachmentsPath(team.taskId),
      team.member.token,
      contentType,
      Buffer.from(body),
    );

  /** Expects a REST error (never tRPC's `{error: {json…}}` / numeric code) and no new file. */
  async function expectRefused(
    send: () => Promise<{ status: number; json: unknown; body: Buffer }>,
    status: number,
    fieldErrors?: Record<string, string[]>,
  ) {
    const before = await server.backend.stored();
    const answer = await send();
    expect(answer.status, answer.body.toString().slice(0, 300)).toBe(status);
    const error = (answer.json as { error: Record<string, unknown> }).error;
    expect(error).toEqual({
      code: status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'BAD_REQUEST',
      message: expect.any(String),
      ...(fieldErrors && { fieldErrors }),
    });
    expect(await server.backend.stored()).toEqual(before);
    return error;
  }

  it('answers 400 in the REST shape for a body that is not readable multipart', async () => {
    const cut = multipartBody(BOUNDARY, [{ headers: FILE_HEADERS, content: 'half a fi' }], {
      close: false,
    });
    await expectRefused(() => post('multipart/form-data', 'x'), 400);
    await expectRefused(() => post('multipart/form-data; boundary=', 'x'), 400);
    await expectRefused(() => post(MULTIPART, cut), 400);
    await expectRefused(() => post(MULTIPART, 'just some text, no parts at all'), 400);
    await expectRefused(() => post('text/plain', 'just some text'), 415);
    // Still serving: the refusals left the server as it was.
    const fine = await post(
      MULTIPART,
      multipartBody(BOUNDARY, [{ headers: FILE_HEADERS, content: 'ok' }]),
    );
    expect(fine.status).toBe(201);
  });

  it('takes at most 10 text fields, an 11th answered 400 in the REST shape', async () => {
    const file = { headers: FILE_HEADERS, content: 'x' };
    const tenFields = Array.from({ length: 10 }, (_, i) => field(`f${i}`));
    const ok = await post(MULTIPART, multipartBody(BOUNDARY, [...tenFields, file]));
    expect(ok.status).toBe(201);
    const error = await expectRefused(
      () => post(MULTIPART, multipartBody(BOUNDARY, [...tenFields, field('f10'), file])),
      400,
    );
    expect(error.message).toMatch(/at most 10 text fields/);
  });

  it('refuses a second file part with 400 naming `file`, keeping neither', async () => {
    const two = multipartBody(BOUNDARY, [
      { headers: FILE_HEADERS, content: 'first' },
      { headers: 'Content-Disposition: form-data; name="more"; filename="b.txt"', content: 'b' },
    ]);
    await expectRefused(() => post(MULTIPART, two), 400, { file: ['One file per upload'] });
    const big = Buffer.alloc(2 * MB, 'z');
    const twoBig = multipartBody(BOUNDARY, [
      { headers: FILE_HEADERS, content: big },
      { headers: 'Content-Disposition: form-data; name="more"; filename="b.bin"', content: big },
    ]);
    await expectRefused(() => post(MULTIPART, twoBig), 400, { file: ['One file per upload'] });
  });

  it('logs a client that leaves mid-upload as an aborted upload, not an error, keeping nothing', async () => {
    const before = await server.backend.stored();
    const logged = () =>
      server.output().match(/attachment upload aborted by the client/g)?.length ?? 0;
    const seen = logged();
    await abandonUpload(server.url, attachmentsPath(team.taskId), team.member.token, {
      declared: 10 * MB,
      sent: 4 * MB,
    });
    await expect.poll(logged, { timeout: 10_000 }).toBe(seen + 1);
    const line = server
      .output()
      .split('\n')
      .findLast((text) => text.includes('attachment upload aborted by the client'));
    expect(JSON.parse(line ?? '{}')).toMatchObject({ level: 30, taskId: team.taskId });
    // Nothing at error level or above, in the whole suite's log: every refusal is the client's.
    expect(server.output()).not.toMatch(/"level":(50|60)/);
    await expect.poll(() => server.backend.stored()).toEqual(before);
  });

  it('drops invisible format characters from a filename (U+202E would reverse its end)', async () => {
    const answer = await upload(server.url, attachmentsPath(team.taskId), team.member.token, {
      content: Buffer.from('MZ'),
      filename: 'invoice\u202Egpj.exe',
    });
    expect(answer.status).toBe(201);
    expect((answer.json as Attachment).filename).toBe('invoicegpj.exe');
  });

  it('serves a preview with ETag and Content-Length, 304 when current, the whole of it for a Range', async () => {
    const png = await sharp({
      create: { width: 640, height: 480, channels: 3, background: '#cc3366' },
    })
      .png()
      .toBuffer();
    const answer = await upload(server.url, attachmentsPath(team.taskId), team.member.token, {
      content: png,
      filename: 'shot.png',
      type: 'image/png',
    });
    const image = answer.json as Attachment;
    const url = image.previewUrl ?? '';
    const preview = await download(server.url, url, team.viewer.token);
    expect(preview.status).toBe(200);
    expect(preview.headers.etag).toBe(`"${image.sha256}.preview"`);
    expect(Number(preview.headers['content-length'])).toBe(preview.body.length);
    expect(preview.headers['x-content-type-options']).toBe('nosniff');
    expect(preview.headers['accept-ranges']).toBeUndefined();
    const current = await download(server.url, url, team.viewer.token, {
      'if-none-match': `"${image.sha256}.preview"`,
    });
    expect(current.status).toBe(304);
    const ranged = await download(server.url, url, team.viewer.token, { range: 'bytes=0-9' });
    expect(ranged.status).toBe(200);
    expect(ranged.body.equals(preview.body)).toBe(true);
  });
});
