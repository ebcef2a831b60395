import type { Database, Kysely } from '@trellis/db';

/** A comment as clients see it. The body is exactly what its author sent. */
export interface CommentView {
  id: string;
  taskId: string;
  /** Null once the author's account is deleted. */
  authorId: string | null;
  authorName: string | null;
  body: string;
  createdAt: string;
  updatedAt: string;
  /** True once the body has been changed after it was posted. */
  edited: boolean;
}

/** Where a page of comments starts: after this (created_at, id). */
export interface CommentPosition {
  createdAt: string;
  id: string;
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The opaque cursor that resumes a comment list after `position`. */
export function encodeCommentCursor(position: CommentPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id])).toString('base64url');
}

/** The position a cursor names, or null when it is not one this server issued. */
export function decodeCommentCursor(cursor: string): CommentPosition | null {
  if (!BASE64URL.test(cursor)) return null;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(value) || value.length !== 2) return null;
  const [createdAt, id] = value as unknown[];
  if (typeof createdAt !== 'string' || !ISO_INSTANT.test(createdAt)) return null;
  if (typeof id !== 'string' || id.length === 0 || id.length > 64) return null;
  return { createdAt, id };
}

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

type CommentRow = Omit<CommentView, 'edited'>;

// Edits always move updated_at past created_at (see the update procedure), so this is
// the whole of "was it edited".
const toView = (row: CommentRow): CommentView => ({
  ...row,
  edited: row.updatedAt !== row.createdAt,
});

/** One comment of a workspace, or undefined. */
export async function getComment(
  db: Kysely<Database>,
  workspaceId: string,
  commentId: string,
): Promise<CommentView | undefined> {
  const row = await selectComments(db, workspaceId)
    .where('comments.id', '=', commentId)
    .executeTakeFirst();
  return row && toView(row);
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
): Promise<{ items: CommentView[]; nextCursor: string | null }> {
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
  const items = rows.slice(0, limit).map(toView);
  const last = items.at(-1);
  const nextCursor = rows.length > limit && last ? encodeCommentCursor(last) : null;
  return { items, nextCursor };
}
