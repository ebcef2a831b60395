import { type Database, isoNow, type Kysely, newId } from '@trellis/db';
import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import type { Actor } from '../access.js';
import { type ActivityType, recordActivity, writeInWorkspace } from '../activity.js';
import { zPageDirection } from '../cursor.js';
import { locate } from '../locate.js';
import { parseMentions } from '../notifications/mentions.js';
import { commentOutput, commentPageOutput, okOutput } from '../outputs.js';
import {
  deleteComment,
  getComment,
  insertComment,
  listComments,
  updateCommentBody,
  zCommentCursor,
} from '../queries/comments.js';
import { replaceCommentMentions, resolveMentions } from '../queries/mentions.js';
import { findTaskProject } from '../queries/tasks.js';
import { roleAtLeast } from '../roles.js';
import { zId, zVerbatimText } from '../schemas.js';
import { workspaceProcedure } from '../trpc.js';

// Who may do what (docs/api.md, "Roles"): viewers read; members (and write tokens) comment;
// only the author edits a comment, even admins may not put words in someone's mouth;
// the author or an admin/owner deletes it. With an API token the author is the person
// who created the token (ctx.actor.userId).

/** The longest comment body, in UTF-16 code units (what JSON and zod count). */
export const COMMENT_MAX_LENGTH = 10_000;
/** How much of a body the activity log keeps: enough to recognise it, not a copy. */
const EXCERPT_CODE_POINTS = 200;

const zBody = zVerbatimText({ min: 1, max: COMMENT_MAX_LENGTH });

const commentNotFound = () => new TRPCError({ code: 'NOT_FOUND', message: 'Comment not found' });

// Whole code points, so that an excerpt never ends in half an emoji.
const excerpt = (body: string) => Array.from(body).slice(0, EXCERPT_CODE_POINTS).join('');

/** The task a comment hangs on, with its project (for the activity row). */
async function taskOf(trx: Kysely<Database>, workspaceId: string, taskId: string) {
  const task = await findTaskProject(trx, workspaceId, taskId);
  if (!task) throw new TRPCError({ code: 'NOT_FOUND', message: 'Task not found' });
  return task;
}

/** Logs a comment event on its task (call it inside the change's transaction). */
function recordCommentEvent(
  trx: Kysely<Database>,
  event: {
    workspaceId: string;
    actor: Actor;
    type: Extract<ActivityType, `comment.${string}`>;
    task: { id: string; projectId: string };
    data: { commentId: string } & Record<string, unknown>;
    /** Members the change newly mentions (notified; see notifications/derive.ts). */
    mentioned?: readonly string[];
  },
  now: Date,
) {
  const { workspaceId, actor, type, task, data, mentioned } = event;
  return recordActivity(
    trx,
    {
      workspaceId,
      actor,
      type,
      projectId: task.projectId,
      taskId: task.id,
      data: { ...data, taskId: task.id },
      ...(mentioned !== undefined && { mentioned }),
    },
    now,
  );
}

/** Stores the members a body mentions; answers those it did not mention before. */
async function storeMentions(
  trx: Kysely<Database>,
  workspaceId: string,
  commentId: string,
  body: string,
): Promise<string[]> {
  const mentions = await resolveMentions(trx, workspaceId, parseMentions(body));
  return replaceCommentMentions(trx, workspaceId, commentId, mentions);
}

async function reload(trx: Kysely<Database>, workspaceId: string, id: string) {
  const comment = await getComment(trx, workspaceId, id);
  if (!comment) throw commentNotFound();
  return comment;
}

export const commentsRouter = {
  create: workspaceProcedure('member', locate.task)
    .input(z.object({ taskId: zId, body: zBody }).strict())
    .output(commentOutput)
    .mutation(({ ctx, input }) => {
      const workspaceId = ctx.workspace.id;
      return writeInWorkspace(ctx.db, workspaceId, ctx.now, async (trx, now) => {
        const task = await taskOf(trx, workspaceId, input.taskId);
        const id = newId();
        await insertComment(trx, {
          id,
          workspaceId,
          taskId: task.id,
          authorId: ctx.actor.userId,
          body: input.body,
          at: isoNow(now),
        });
        const mentioned = await storeMentions(trx, workspaceId, id, input.body);
        const comment = await reload(trx, workspaceId, id);
        await recordCommentEvent(
          trx,
          {
            workspaceId,
            actor: ctx.actor,
            type: 'comment.created',
            task,
            data: { commentId: id, excerpt: excerpt(input.body), comment },
            mentioned,
          },
          now,
        );
        return comment;
      });
    }),

  list: workspaceProcedure('viewer', locate.task)
    .input(
      z
        .object({
          taskId: zId,
          cursor: zCommentCursor.optional(),
          direction: zPageDirection,
          limit: z.number().int().min(1).max(100).default(50),
        })
        .strict(),
    )
    .output(commentPageOutput)
    .query(({ ctx, input }) =>
      listComments(ctx.db, ctx.workspace.id, input.taskId, input.cursor, input.limit),
    ),

  update: workspaceProcedure('member', locate.comment)
    .input(z.object({ commentId: zId, body: zBody }).strict())
    .output(commentOutput)
    .mutation(({ ctx, input }) => {
      const workspaceId = ctx.workspace.id;
      return writeInWorkspace(ctx.db, workspaceId, ctx.now, async (trx, now) => {
        const comment = await reload(trx, workspaceId, input.commentId);
        if (comment.authorId !== ctx.actor.userId) {
          throw new TRPCError({ code: 'FORBIDDEN', message: 'Only its author can edit a comment' });
        }
        // Nothing changed, so nothing to record.
        if (comment.body === input.body) return comment;
        // `edited` is updated_at ≠ created_at, so an edit must move it forward even within
        // the millisecond the comment was posted in (or under a clock that stepped back).
        // The entry takes that time too: later entries' times start from it.
        const editedAt = new Date(Math.max(now.getTime(), Date.parse(comment.createdAt) + 1));
        const updatedAt = isoNow(editedAt);
        await updateCommentBody(trx, workspaceId, comment.id, input.body, updatedAt);
        const mentioned = await storeMentions(trx, workspaceId, comment.id, input.body);
        const task = await taskOf(trx, workspaceId, comment.taskId);
        const edited = await reload(trx, workspaceId, comment.id);
        await recordCommentEvent(
          trx,
          {
            workspaceId,
            actor: ctx.actor,
            type: 'comment.updated',
            task,
            data: { commentId: comment.id, excerpt: excerpt(input.body), comment: edited },
            mentioned,
          },
          editedAt,
        );
        return edited;
      });
    }),

  delete: workspaceProcedure('member', locate.comment)
    .input(z.object({ commentId: zId }).strict())
    .output(okOutput)
    .mutation(({ ctx, input }) =>
      writeInWorkspace(ctx.db, ctx.workspace.id, ctx.now, async (trx, now) => {
        const workspaceId = ctx.workspace.id;
        const comment = await reload(trx, workspaceId, input.commentId);
        const isAuthor = comment.authorId === ctx.actor.userId;
        if (!isAuthor && !roleAtLeast(ctx.workspace.role, 'admin')) {
          throw new TRPCError({
            code: 'FORBIDDEN',
            message: 'Only its author or an admin can delete this comment',
          });
        }
        await deleteComment(trx, workspaceId, comment.id);
        const task = await taskOf(trx, workspaceId, comment.taskId);
        await recordCommentEvent(
          trx,
          {
            workspaceId,
            actor: ctx.actor,
            type: 'comment.deleted',
            task,
            data: {
              commentId: comment.id,
              authorId: comment.authorId,
              excerpt: excerpt(comment.body),
              comment,
            },
          },
          now,
        );
        return { ok: true as const };
      }),
    ),
} satisfies TRPCRouterRecord;
