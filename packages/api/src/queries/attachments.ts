import type { Database, Kysely } from '@trellis/db';
import type { Selectable } from 'kysely';
import type { z } from 'zod';
import type { attachmentOutput } from '../outputs.js';

// Attachment rows (migration 0018). The bytes are the server's attachment store's; these
// queries only ever delete a row together with queueing its keys in
// `attachment_deletions`, so that the files go after the row, never before it.

type AttachmentRow = Selectable<Database['attachments']>;

/** An attachment as the API shows it. */
export type AttachmentView = z.output<typeof attachmentOutput>;

/** A row with what the server needs to serve or remove its file. */
export interface StoredAttachment {
  view: AttachmentView;
  storageKey: string;
  previewKey: string | null;
}

/** Where a task's attachment is downloaded (below the server's origin). */
export function attachmentPath(taskId: string, attachmentId: string): string {
  return `/api/v1/tasks/${encodeURIComponent(taskId)}/attachments/${encodeURIComponent(attachmentId)}`;
}

export function toStoredAttachment(row: AttachmentRow): StoredAttachment {
  const downloadUrl = attachmentPath(row.task_id, row.id);
  return {
    storageKey: row.storage_key,
    previewKey: row.preview_key,
    view: {
      id: row.id,
      workspaceId: row.workspace_id,
      taskId: row.task_id,
      commentId: row.comment_id,
      filename: row.filename,
      contentType: row.content_type,
      size: Number(row.size),
      sha256: row.sha256,
      uploadedBy: row.uploaded_by,
      createdAt: row.created_at,
      hasPreview: row.preview_key !== null,
      downloadUrl,
      previewUrl: row.preview_key === null ? null : `${downloadUrl}/preview`,
    },
  };
}

export async function insertAttachment(
  trx: Kysely<Database>,
  row: Database['attachments'],
): Promise<void> {
  await trx.insertInto('attachments').values(row).execute();
}

/** The bytes a workspace's attachments take (its trashed tasks' included). */
export async function workspaceAttachmentBytes(
  db: Kysely<Database>,
  workspaceId: string,
): Promise<number> {
  const row = await db
    .selectFrom('attachments')
    .select((eb) => eb.fn.sum<number | string | null>('size').as('total'))
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  return Number(row?.total ?? 0);
}

/** A live task's attachments, oldest first. */
export async function listAttachments(
  db: Kysely<Database>,
  workspaceId: string,
  taskId: string,
): Promise<AttachmentView[]> {
  const rows = await db
    .selectFrom('attachments')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('task_id', '=', taskId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((row) => toStoredAttachment(row).view);
}

/**
 * An attachment of the workspace whose task is live (not in the trash), or undefined; of
 * `taskId` when given.
 */
export async function findAttachment(
  db: Kysely<Database>,
  workspaceId: string,
  attachmentId: string,
  taskId?: string,
): Promise<StoredAttachment | undefined> {
  let query = db
    .selectFrom('attachments')
    .innerJoin('tasks', 'tasks.id', 'attachments.task_id')
    .selectAll('attachments')
    .where('attachments.workspace_id', '=', workspaceId)
    .where('tasks.workspace_id', '=', workspaceId)
    .where('attachments.id', '=', attachmentId);
  if (taskId !== undefined) query = query.where('attachments.task_id', '=', taskId);
  const row = await query.executeTakeFirst();
  return row && toStoredAttachment(row);
}

/** The workspace of an attachment, or undefined (the locator of attachments.delete). */
export async function workspaceIdOfAttachment(
  db: Kysely<Database>,
  attachmentId: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('attachments')
    .select('workspace_id')
    .where('id', '=', attachmentId)
    .executeTakeFirst();
  return row?.workspace_id;
}

/** Whether `commentId` is a comment of the workspace's task `taskId`. */
export async function commentOfTask(
  db: Kysely<Database>,
  workspaceId: string,
  taskId: string,
  commentId: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('comments')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('task_id', '=', taskId)
    .where('id', '=', commentId)
    .executeTakeFirst();
  return row !== undefined;
}

/** Deletes the row and queues its files for removal, in the caller's transaction. */
export async function deleteAttachmentRow(
  trx: Kysely<Database>,
  attachment: StoredAttachment,
  at: string,
): Promise<void> {
  await trx
    .insertInto('attachment_deletions')
    .values({
      storage_key: attachment.storageKey,
      preview_key: attachment.previewKey,
      created_at: at,
    })
    .onConflict((oc) => oc.column('storage_key').doNothing())
    .execute();
  await trx.deleteFrom('attachments').where('id', '=', attachment.view.id).execute();
}

/**
 * Up to `limit` attachments whose task is neither live nor in the trash (purged after the
 * trash period, or gone with its project): their rows deleted and their files queued, in
 * one transaction. Answers how many.
 */
export async function queueOrphanAttachments(
  db: Kysely<Database>,
  limit: number,
  at: string,
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('attachments')
      .select(['id', 'storage_key', 'preview_key'])
      .where((eb) =>
        eb.and([
          eb.not(
            eb.exists(
              eb
                .selectFrom('tasks')
                .select('tasks.id')
                .whereRef('tasks.id', '=', 'attachments.task_id'),
            ),
          ),
          eb.not(
            eb.exists(
              eb
                .selectFrom('trashed_tasks')
                .select('trashed_tasks.task_id')
                .whereRef('trashed_tasks.task_id', '=', 'attachments.task_id'),
            ),
          ),
        ]),
      )
      .limit(limit)
      .execute();
    if (rows.length === 0) return 0;
    await trx
      .insertInto('attachment_deletions')
      .values(
        rows.map((row) => ({
          storage_key: row.storage_key,
          preview_key: row.preview_key,
          created_at: at,
        })),
      )
      .onConflict((oc) => oc.column('storage_key').doNothing())
      .execute();
    await trx
      .deleteFrom('attachments')
      .where(
        'id',
        'in',
        rows.map((row) => row.id),
      )
      .execute();
    return rows.length;
  });
}

/** Queued file removals, oldest first. */
export async function pendingDeletions(
  db: Kysely<Database>,
  limit: number,
): Promise<{ storageKey: string; previewKey: string | null }[]> {
  const rows = await db
    .selectFrom('attachment_deletions')
    .select(['storage_key', 'preview_key'])
    .orderBy('created_at')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ storageKey: row.storage_key, previewKey: row.preview_key }));
}

/** A queued removal done: its files are gone. */
export async function forgetDeletion(db: Kysely<Database>, storageKey: string): Promise<void> {
  await db.deleteFrom('attachment_deletions').where('storage_key', '=', storageKey).execute();
}
