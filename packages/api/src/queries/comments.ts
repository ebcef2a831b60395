import type { Database, Kysely } from '@trellis/db';
import { z } from 'zod';
import { encodeCursor, zCursor } from '../cursor.js';
import type { commentOutput, commentPageOutput } from '../outputs.js';
import { zId } from '../schemas.js';
import { inWrittenOrder, mentionsOfComments } from './mentions.js';

/** A comment as clients see it. The body is exactly what its author sent. */
export type CommentView = z.output<typeof commentOutput>;

/** A page of a task's comments, oldest first. */
export type CommentPage = z.output<typeof commentPageOutput>;

/** Where a page of comments starts: after this (created_at, id). */
export interface CommentPosition {
  createdAt: string;
  id: string;
}

/** A comment cursor as sent by clients; parses to the position the next page starts after. */
export const zCommentCursor = zCursor(
  z
    .tuple([z.iso.datetime(), zId])
    .transform(([createdAt, id]): CommentPosition => ({ createdAt, id })),
);

function selectComments(db: Kysely<Database>, workspaceId: string) {
  return db
    .selectFrom('comments')
    .leftJoin('users', 'users.id', 'comments.author_id')
    .select([
      'comments.id',
      'comments.task_id as taskId',
      'comments.author_id as authorId',
      'users.name as authorName',
      'comments.body',
      'comments.created_at as createdAt',
      'comments.updated_at as updatedAt',
    ])
    .where('comments.workspace_id', '=', workspaceId);
}

type CommentRow = Omit<CommentView, 'edited' | 'mentions'>;

// Edits always move updated_at past created_at (see the update procedure), so this is
// the whole of "was it edited".
async function toViews(
  db: Kysely<Database>,
  workspaceId: string,
  rows: readonly CommentRow[],
): Promise<CommentView[]> {
  const mentions = await mentionsOfComments(
    db,
    workspaceId,
    rows.map((row) => row.id),
  );
  return rows.map((row) => ({
    ...row,
    edited: row.updatedAt !== row.createdAt,
    mentions: inWrittenOrder(mentions.get(row.id) ?? [], row.body),
  }));
}

/** One comment of a workspace, or undefined. */
export async function getComment(
  db: Kysely<Database>,
  workspaceId: string,
  commentId: string,
): Promise<CommentView | undefined> {
  const row = await selectComments(db, workspaceId)
    .where('comments.id', '=', commentId)
    .executeTakeFirst();
  return row && (await toViews(db, workspaceId, [row]))[0];
}

/**
 * A page of a task's comments, oldest first, after `after` when given. Served by the
 * (task_id, created_at, id) index; `nextCursor` is null on the last page.
 */
export async function listComments(
  db: Kysely<Database>,
  workspaceId: string,
  taskId: string,
  after: CommentPosition | undefined,
  limit: number,
): Promise<CommentPage> {
  let query = selectComments(db, workspaceId).where('comments.task_id', '=', taskId);
  if (after) {
    query = query.where((eb) =>
      eb(
        eb.refTuple('comments.created_at', 'comments.id'),
        '>',
        eb.tuple(after.createdAt, after.id),
      ),
    );
  }
  const rows = await query
    .orderBy('comments.created_at')
    .orderBy('comments.id')
    .limit(limit + 1)
    .execute();
  const items = await toViews(db, workspaceId, rows.slice(0, limit));
  const last = items.at(-1);
  const nextCursor = rows.length > limit && last ? encodeCursor([last.createdAt, last.id]) : null;
  return { items, nextCursor };
}

/** A new comment, stored verbatim. */
export interface NewComment {
  id: string;
  workspaceId: string;
  taskId: string;
  authorId: string;
  body: string;
  at: string;
}

/** Inserts a comment. */
export async function insertComment(db: Kysely<Database>, comment: NewComment): Promise<void> {
  await db
    .insertInto('comments')
    .values({
      id: comment.id,
      workspace_id: comment.workspaceId,
      task_id: comment.taskId,
      author_id: comment.authorId,
      body: comment.body,
      created_at: comment.at,
      updated_at: comment.at,
    })
    .execute();
}

/** Replaces a comment's body; `updatedAt` must be past its creation (that is `edited`). */
export async function updateCommentBody(
  db: Kysely<Database>,
  workspaceId: string,
  commentId: string,
  body: string,
  updatedAt: string,
): Promise<void> {
  await db
    .updateTable('comments')
    .set({ body, updated_at: updatedAt })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', commentId)
    .execute();
}

/** Deletes a comment. */
export async function deleteComment(
  db: Kysely<Database>,
  workspaceId: string,
  commentId: string,
): Promise<void> {
  await db
    .deleteFrom('comments')
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', commentId)
    .execute();
}
