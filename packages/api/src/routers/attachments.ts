import { isoNow } from '@trellis/db';
import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { recordActivity, writeInWorkspace } from '../activity.js';
import { attachmentDeletions } from '../attachments/deletions.js';
import { locate } from '../locate.js';
import { attachmentOutput } from '../outputs.js';
import { deleteAttachmentRow, findAttachment, listAttachments } from '../queries/attachments.js';
import { findTaskProject } from '../queries/tasks.js';
import { roleAtLeast } from '../roles.js';
import { zId } from '../schemas.js';
import { workspaceProcedure } from '../trpc.js';

// Attachments: uploading and downloading stream, so they are the server's plain routes
// (apps/server/src/attachments/); listing and deleting are procedures. An attachment of a
// task in the trash is not found until the task is restored.

const attachmentNotFound = () =>
  new TRPCError({ code: 'NOT_FOUND', message: 'Attachment not found' });

export const attachmentsRouter = {
  list: workspaceProcedure('viewer', locate.task)
    .input(z.object({ taskId: zId }).strict())
    .output(z.array(attachmentOutput))
    .query(({ ctx, input }) => listAttachments(ctx.db, ctx.workspace.id, input.taskId)),

  // The uploader or an admin. `taskId` is optional (the REST path carries it); when given
  // it must be the attachment's task.
  delete: workspaceProcedure('member', locate.attachment)
    .input(z.object({ attachmentId: zId, taskId: zId.optional() }).strict())
    .output(attachmentOutput)
    .mutation(async ({ ctx, input }) => {
      const workspaceId = ctx.workspace.id;
      const deleted = await writeInWorkspace(ctx.db, workspaceId, ctx.now, async (trx, at) => {
        const attachment = await findAttachment(trx, workspaceId, input.attachmentId, input.taskId);
        if (!attachment) throw attachmentNotFound();
        const { view } = attachment;
        if (view.uploadedBy !== ctx.actor.userId && !roleAtLeast(ctx.workspace.role, 'admin')) {
          throw new TRPCError({
            code: 'FORBIDDEN',
            message: 'Only its uploader or an admin can delete this attachment',
          });
        }
        await deleteAttachmentRow(trx, attachment, isoNow(at));
        const task = await findTaskProject(trx, workspaceId, view.taskId);
        await recordActivity(
          trx,
          {
            workspaceId,
            actor: ctx.actor,
            type: 'attachment.deleted',
            projectId: task?.projectId ?? null,
            taskId: view.taskId,
            data: { attachment: view },
          },
          at,
        );
        return view;
      });
      // Committed: the files may go now.
      attachmentDeletions.queued();
      return deleted;
    }),
} satisfies TRPCRouterRecord;
