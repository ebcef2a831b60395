import { type Database, isoNow, type Kysely } from '@trellis/db';
import { TRPCError } from '@trpc/server';
import type { Actor } from '../access.js';
import { type Clock, recordActivity, writeInWorkspace } from '../activity.js';
import { fieldError } from '../errors.js';
import {
  type AttachmentView,
  commentOfTask,
  insertAttachment,
  toStoredAttachment,
  workspaceAttachmentBytes,
} from '../queries/attachments.js';
import { findTaskProject } from '../queries/tasks.js';

/** The workspace's attachments would pass ATTACHMENTS_WORKSPACE_QUOTA_BYTES (409). */
export class AttachmentQuotaExceeded extends Error {
  override name = 'AttachmentQuotaExceeded';
  constructor(
    readonly quotaBytes: number,
    readonly usedBytes: number,
  ) {
    super(
      `The workspace's attachments would exceed its quota of ${quotaBytes} bytes (${usedBytes} bytes used); delete some first`,
    );
  }
}

/** A stored upload to record. */
export interface NewAttachment {
  id: string;
  workspaceId: string;
  taskId: string;
  commentId: string | null;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  storageKey: string;
  previewKey: string | null;
  actor: Actor;
}

/**
 * Records an upload whose file is already stored, with its `attachment.created` entry. The
 * quota is checked here, under the workspace's write lock: two uploads racing for the last
 * bytes are decided one after the other. NOT_FOUND when the task went to the trash (or the
 * comment went) meanwhile; the caller then removes the stored file.
 */
export function recordAttachment(
  db: Kysely<Database>,
  clock: Clock,
  upload: NewAttachment,
  quotaBytes: number,
): Promise<AttachmentView> {
  return writeInWorkspace(db, upload.workspaceId, clock, async (trx, at) => {
    const task = await findTaskProject(trx, upload.workspaceId, upload.taskId);
    if (!task) throw new TRPCError({ code: 'NOT_FOUND', message: 'Task not found' });
    if (
      upload.commentId !== null &&
      !(await commentOfTask(trx, upload.workspaceId, upload.taskId, upload.commentId))
    ) {
      throw fieldError(['commentId'], 'Must be a comment of this task');
    }
    const used = await workspaceAttachmentBytes(trx, upload.workspaceId);
    if (used + upload.size > quotaBytes) throw new AttachmentQuotaExceeded(quotaBytes, used);
    const row: Database['attachments'] = {
      id: upload.id,
      workspace_id: upload.workspaceId,
      task_id: upload.taskId,
      comment_id: upload.commentId,
      filename: upload.filename,
      content_type: upload.contentType,
      size: upload.size,
      sha256: upload.sha256,
      storage_key: upload.storageKey,
      preview_key: upload.previewKey,
      uploaded_by: upload.actor.userId,
      created_at: isoNow(at),
    };
    await insertAttachment(trx, row);
    const { view } = toStoredAttachment(row);
    await recordActivity(
      trx,
      {
        workspaceId: upload.workspaceId,
        actor: upload.actor,
        type: 'attachment.created',
        projectId: task.projectId,
        taskId: task.id,
        data: { attachment: view },
      },
      at,
    );
    return view;
  });
}
