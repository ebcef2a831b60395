import { purgeTrash } from '@trellis/api';
import type { RouterOutputs } from '@trellis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ATTACHMENT_BACKENDS,
  type AttachmentServer,
  attachmentsPath,
  attachmentTeam,
  download,
  startAttachmentServer,
  upload,
} from './support/attachments.js';

// What happens to attachments over time, the same suite on both stores: comments, the
// per-workspace quota (also when uploads race for it), deleting (the row, then the file),
// the trash (not downloadable until restored) and the purge after it (the files go).

type Attachment = RouterOutputs['attachments']['list'][number];
type Team = Awaited<ReturnType<typeof attachmentTeam>>;

const QUOTA = 3000;
const DAY_MS = 24 * 60 * 60 * 1000;

describe.each(ATTACHMENT_BACKENDS)('attachments over time on %s', (_name, makeBackend) => {
  let server: AttachmentServer;

  beforeAll(async () => {
    server = await startAttachmentServer(makeBackend, {
      ATTACHMENTS_WORKSPACE_QUOTA_BYTES: String(QUOTA),
      // The sweep that removes files of deleted rows and purged tasks.
      SESSION_SWEEP_INTERVAL_MS: '100',
    });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  const post = (
    team: Team,
    token: string,
    bytes: number,
    extra: { query?: string; fields?: Record<string, string> } = {},
  ) =>
    upload(server.url, `${attachmentsPath(team.taskId)}${extra.query ?? ''}`, token, {
      content: Buffer.alloc(bytes, 'a'),
      filename: 'notes.txt',
      type: 'text/plain',
      ...(extra.fields && { fields: extra.fields }),
    });

  /** Uploads `bytes` as the member; the attachment and the store key it added. */
  async function attach(
    team: Team,
    bytes: number,
  ): Promise<{ attachment: Attachment; key: string }> {
    const before = new Set(await server.backend.stored());
    const answer = await post(team, team.member.token, bytes);
    expect(answer.status, answer.body.toString()).toBe(201);
    const added = (await server.backend.stored()).filter((key) => !before.has(key));
    expect(added).toHaveLength(1);
    return { attachment: answer.json as Attachment, key: added[0] ?? '' };
  }

  it('attaches to a comment of the task, by field or query; a comment of another task is 400', async () => {
    const team = await attachmentTeam(server);
    const comment = await team.member.client.comments.create.mutate({
      taskId: team.taskId,
      body: 'Log attached',
    });
    const byField = await post(team, team.member.token, 10, { fields: { commentId: comment.id } });
    expect(byField.status).toBe(201);
    expect(byField.json).toMatchObject({ commentId: comment.id, taskId: team.taskId });
    const byQuery = await post(team, team.member.token, 10, { query: `?commentId=${comment.id}` });
    expect(byQuery.json).toMatchObject({ commentId: comment.id });

    const other = await team.member.client.tasks.create.mutate({
      projectId: team.projectId,
      title: 'Other',
    });
    const foreign = await team.member.client.comments.create.mutate({
      taskId: other.id,
      body: 'Elsewhere',
    });
    const before = await server.backend.stored();
    const refused = await post(team, team.member.token, 10, { fields: { commentId: foreign.id } });
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({
      error: {
        code: 'BAD_REQUEST',
        fieldErrors: { commentId: ['Must be a comment of this task'] },
      },
    });
    expect(await server.backend.stored()).toEqual(before);
    const list = await team.viewer.client.attachments.list.query({ taskId: team.taskId });
    expect(list.map((item) => item.commentId)).toEqual([comment.id, comment.id]);
  });

  it('holds a workspace to its quota, also when two uploads race for the last bytes', async () => {
    const team = await attachmentTeam(server);
    await attach(team, 1000);
    const before = await server.backend.stored();
    // 1000 + 1500 fits in 3000; 1000 + 1500 + 1500 does not: exactly one of the two passes.
    const answers = await Promise.all([
      post(team, team.member.token, 1500),
      post(team, team.owner.token, 1500),
    ]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 409]);
    const refused = answers.find((answer) => answer.status === 409);
    expect(refused?.json).toMatchObject({ error: { code: 'CONFLICT' } });
    expect(JSON.stringify(refused?.json)).toMatch(/quota of 3000 bytes/);
    // The refused upload's file was stored before the check, and removed after it.
    expect((await server.backend.stored()).length).toBe(before.length + 1);
    const list = await team.member.client.attachments.list.query({ taskId: team.taskId });
    expect(list.reduce((sum, item) => sum + item.size, 0)).toBe(2500);
    // Another workspace has a quota of its own.
    const elsewhere = await attachmentTeam(server);
    expect((await post(elsewhere, elsewhere.member.token, 2000)).status).toBe(201);
  });

  it('deletes for the uploader or an admin: the row at once, then its file; both are events', async () => {
    const team = await attachmentTeam(server);
    const first = await attach(team, 20);
    const second = await attach(team, 30);
    await expect(
      team.viewer.client.attachments.delete.mutate({ attachmentId: first.attachment.id }),
    ).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    await expect(
      team.outsider.client.attachments.delete.mutate({ attachmentId: first.attachment.id }),
    ).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });

    const deleted = await team.member.client.attachments.delete.mutate({
      attachmentId: first.attachment.id,
    });
    expect(deleted).toEqual(first.attachment);
    // Over REST, by the admin (the owner), at the download URL.
    const rest = await fetch(new URL(second.attachment.downloadUrl, server.url), {
      method: 'DELETE',
      headers: { authorization: `Bearer ${team.owner.token}` },
    });
    expect(rest.status).toBe(200);
    for (const { attachment, key } of [first, second]) {
      expect((await download(server.url, attachment.downloadUrl, team.member.token)).status).toBe(
        404,
      );
      await expect.poll(() => server.backend.stored()).not.toContain(key);
    }
    expect(await team.member.client.attachments.list.query({ taskId: team.taskId })).toEqual([]);

    const events = await team.owner.client.events.list.query({
      workspaceId: team.workspaceId,
      types: ['attachment.created', 'attachment.deleted'],
    });
    expect(events.items.map((event) => [event.type, (event.data as Attachment).id])).toEqual([
      ['attachment.created', first.attachment.id],
      ['attachment.created', second.attachment.id],
      ['attachment.deleted', first.attachment.id],
      ['attachment.deleted', second.attachment.id],
    ]);
    expect(events.items[0]?.data).toEqual(first.attachment);
  });

  it('hides a trashed task’s files until it is restored, and removes them once it is purged', async () => {
    const team = await attachmentTeam(server);
    const { attachment, key } = await attach(team, 40);
    await team.member.client.tasks.delete.mutate({ taskId: team.taskId });
    expect((await download(server.url, attachment.downloadUrl, team.member.token)).status).toBe(
      404,
    );
    expect(
      (await download(server.url, attachmentsPath(team.taskId), team.member.token)).status,
    ).toBe(404);
    expect((await post(team, team.member.token, 5)).status).toBe(404);
    expect(await server.backend.stored()).toContain(key);

    await team.member.client.tasks.restore.mutate({ taskId: team.taskId });
    const back = await download(server.url, attachment.downloadUrl, team.viewer.token);
    expect(back.status).toBe(200);
    expect(back.body.length).toBe(40);

    await team.member.client.tasks.delete.mutate({ taskId: team.taskId });
    // The trash period is over (as the server's own sweep decides with TRASH_RETENTION_DAYS).
    await purgeTrash(server.database.db, new Date(Date.now() + 365 * DAY_MS), 1000);
    await expect.poll(() => server.backend.stored()).not.toContain(key);
    const rows = await server.database.db
      .selectFrom('attachments')
      .select('id')
      .where('id', '=', attachment.id)
      .execute();
    expect(rows).toEqual([]);
  });
});
