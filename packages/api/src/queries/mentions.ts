import type { Database, Kysely } from '@trellis/db';
import type { MentionToken } from '../notifications/mentions.js';

// Mentions as stored: who a comment or a task's description named, and how (`text`, as
// written), so that a later change of handle or email keeps them. Only members of the
// workspace resolve: a handle or email of anyone else stores nothing, exactly as a name
// nobody holds, so the answer tells nothing of whether such an account exists.

/** A resolved mention: the member and the text that named them. */
export interface ResolvedMention {
  userId: string;
  text: string;
}

/** A mention as clients see it: what was written, and the member as they are now. */
export interface MentionView {
  userId: string;
  text: string;
  name: string;
  handle: string;
}

/** The members of the workspace the tokens name (each token at most one member). */
export async function resolveMentions(
  db: Kysely<Database>,
  workspaceId: string,
  tokens: readonly MentionToken[],
): Promise<ResolvedMention[]> {
  const handles = tokens.filter((t) => t.kind === 'handle').map((t) => t.value);
  const emails = tokens.filter((t) => t.kind === 'email').map((t) => t.value);
  if (handles.length === 0 && emails.length === 0) return [];
  const members = await db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select(['users.id', 'users.handle', 'users.email'])
    .where('memberships.workspace_id', '=', workspaceId)
    .where((eb) =>
      eb.or([
        ...(handles.length > 0 ? [eb('users.handle', 'in', handles)] : []),
        ...(emails.length > 0 ? [eb('users.email', 'in', emails)] : []),
      ]),
    )
    .execute();
  const byHandle = new Map(members.map((m) => [m.handle, m.id]));
  const byEmail = new Map(members.map((m) => [m.email, m.id]));
  return tokens.flatMap((token) => {
    const userId = (token.kind === 'handle' ? byHandle : byEmail).get(token.value);
    return userId === undefined ? [] : [{ userId, text: token.text }];
  });
}

/** The distinct users of `mentions` that are not in `before`. */
function newlyMentioned(
  mentions: readonly ResolvedMention[],
  before: readonly { user_id: string }[],
): string[] {
  const had = new Set(before.map((row) => row.user_id));
  return [...new Set(mentions.map((m) => m.userId))].filter((id) => !had.has(id));
}

/** Replaces a comment's mentions; answers the members it did not mention before. */
export async function replaceCommentMentions(
  db: Kysely<Database>,
  workspaceId: string,
  commentId: string,
  mentions: readonly ResolvedMention[],
): Promise<string[]> {
  const before = await db
    .selectFrom('comment_mentions')
    .select('user_id')
    .where('workspace_id', '=', workspaceId)
    .where('comment_id', '=', commentId)
    .execute();
  await db
    .deleteFrom('comment_mentions')
    .where('workspace_id', '=', workspaceId)
    .where('comment_id', '=', commentId)
    .execute();
  const rows = uniqueRows(mentions).map((m) => ({
    comment_id: commentId,
    user_id: m.userId,
    workspace_id: workspaceId,
    text: m.text,
  }));
  if (rows.length > 0) await db.insertInto('comment_mentions').values(rows).execute();
  return newlyMentioned(mentions, before);
}

/** Replaces a task description's mentions; answers the members it did not mention before. */
export async function replaceTaskMentions(
  db: Kysely<Database>,
  workspaceId: string,
  taskId: string,
  mentions: readonly ResolvedMention[],
): Promise<string[]> {
  const before = await db
    .selectFrom('task_mentions')
    .select('user_id')
    .where('workspace_id', '=', workspaceId)
    .where('task_id', '=', taskId)
    .execute();
  await db
    .deleteFrom('task_mentions')
    .where('workspace_id', '=', workspaceId)
    .where('task_id', '=', taskId)
    .execute();
  const rows = uniqueRows(mentions).map((m) => ({
    task_id: taskId,
    user_id: m.userId,
    workspace_id: workspaceId,
    text: m.text,
  }));
  if (rows.length > 0) await db.insertInto('task_mentions').values(rows).execute();
  return newlyMentioned(mentions, before);
}

// `@Jane` and `@jane` are one token (case-insensitive) but could both be written; the
// primary key is (owner, user, text), so keep each (user, text) once.
function uniqueRows(mentions: readonly ResolvedMention[]): ResolvedMention[] {
  const seen = new Set<string>();
  return mentions.filter((m) => {
    const key = `${m.userId}\n${m.text}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Mentions in the order their text first appears in `text` (the body or description they
 * were found in), the same on every database whatever its collation.
 */
export function inWrittenOrder(mentions: readonly MentionView[], text: string): MentionView[] {
  const at = (m: MentionView) => {
    const index = text.indexOf(m.text);
    return index === -1 ? text.length : index;
  };
  return [...mentions].sort(
    (a, b) => at(a) - at(b) || (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0),
  );
}

/** The mentions of each of these comments (see {@link inWrittenOrder}). */
export async function mentionsOfComments(
  db: Kysely<Database>,
  workspaceId: string,
  commentIds: readonly string[],
): Promise<Map<string, MentionView[]>> {
  const found = new Map<string, MentionView[]>();
  if (commentIds.length === 0) return found;
  const rows = await db
    .selectFrom('comment_mentions')
    .innerJoin('users', 'users.id', 'comment_mentions.user_id')
    .select([
      'comment_mentions.comment_id as ownerId',
      'comment_mentions.user_id as userId',
      'comment_mentions.text',
      'users.name',
      'users.handle',
    ])
    .where('comment_mentions.workspace_id', '=', workspaceId)
    .where('comment_mentions.comment_id', 'in', commentIds)
    .execute();
  for (const { ownerId, ...mention } of rows) {
    const list = found.get(ownerId) ?? [];
    list.push(mention);
    found.set(ownerId, list);
  }
  return found;
}

/** The mentions of a task's description (see {@link inWrittenOrder}). */
export async function mentionsOfTask(
  db: Kysely<Database>,
  workspaceId: string,
  taskId: string,
): Promise<MentionView[]> {
  return db
    .selectFrom('task_mentions')
    .innerJoin('users', 'users.id', 'task_mentions.user_id')
    .select(['task_mentions.user_id as userId', 'task_mentions.text', 'users.name', 'users.handle'])
    .where('task_mentions.workspace_id', '=', workspaceId)
    .where('task_mentions.task_id', '=', taskId)
    .execute();
}
