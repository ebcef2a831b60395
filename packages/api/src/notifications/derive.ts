import type { Database, Kysely } from '@trellis/db';
import type { ActivityEntry } from '../activity.js';
import { replaceTaskMentions, resolveMentions } from '../queries/mentions.js';
import { stateNames } from '../queries/notification-context.js';
import {
  type NewNotification,
  type NotificationData,
  type NotifiedTask,
  queueNotifications,
} from '../queries/notifications.js';
import { taskRefs } from '../queries/task-relations.js';
import { addWatchers, watcherIds } from '../queries/watchers.js';
import type { NotificationKind } from './kinds.js';
import { parseMentions } from './mentions.js';

// Who hears of a change, worked out from its activity entry in the entry's transaction
// (recordActivity calls this once the entry is in): a change and its notifications commit
// together or not at all. Bulk imports (recordActivities) notify nobody.
//
// - task.created: the creator and the assignee watch; `assigned` to the assignee;
//   `mentioned` to members the description mentions (who then watch).
// - task.updated: a new assignee watches and gets `assigned`; a new state tells the
//   watchers (`status_changed`, with the states' names); a description naming members it
//   did not name before tells those (`mentioned`, and they watch).
// - comment.created: the commenter watches; `mentioned` to the members it mentions (who
//   then watch); `commented` to the other watchers.
// - comment.updated: `mentioned` to the members the edit newly mentions (who then watch).
//
// One notification per person per entry (the first kind of `PRECEDENCE` they are due);
// never to the actor (insertNotifications drops those, and non-members). A change made
// with an API token does not make the token's creator watch anything: a script filing a
// thousand tasks should not fill its owner's inbox.

/** Which kind a person gets when one entry gives them several. */
const PRECEDENCE: readonly NotificationKind[] = [
  'assigned',
  'mentioned',
  'status_changed',
  'commented',
];

/** How much of a comment a notification shows, in code points. */
const EXCERPT_CODE_POINTS = 140;

type Stored = Record<string, unknown>;
type Change = { from: unknown; to: unknown };

interface Derived {
  watch: string[];
  tell: { userId: string; kind: NotificationKind; data: NotificationData }[];
  commentId: string | null;
}

/** Writes the watchers and notifications an entry implies, in its transaction. */
export async function deriveNotifications(
  trx: Kysely<Database>,
  entry: ActivityEntry,
  at: Date,
): Promise<void> {
  const taskId = entry.taskId;
  if (!taskId) return;
  const derived = await derive(trx, entry, taskId);
  if (!derived) return;
  await addWatchers(trx, entry.workspaceId, taskId, derived.watch, at);
  const chosen = new Map<string, Derived['tell'][number]>();
  for (const kind of PRECEDENCE) {
    for (const item of derived.tell) {
      if (item.kind === kind && !chosen.has(item.userId)) chosen.set(item.userId, item);
    }
  }
  const actorId = entry.actor?.userId ?? null;
  const list: NewNotification[] = [...chosen.values()].map((item) => ({
    userId: item.userId,
    workspaceId: entry.workspaceId,
    kind: item.kind,
    taskId,
    commentId: derived.commentId,
    actorId,
    data: item.data,
  }));
  await queueNotifications(trx, list, at);
}

function derive(
  trx: Kysely<Database>,
  entry: ActivityEntry,
  taskId: string,
): Promise<Derived | null> | null {
  switch (entry.type) {
    case 'task.created':
      return taskCreated(trx, entry, taskId);
    case 'task.updated':
      return taskUpdated(trx, entry, taskId);
    case 'comment.created':
    case 'comment.updated':
      return commentWritten(trx, entry, taskId);
    default:
      return null;
  }
}

/** The person acting, when a person acts (not through an API token). */
function person(entry: ActivityEntry): string[] {
  return entry.actor && entry.actor.apiTokenId === null ? [entry.actor.userId] : [];
}

/** What a task entry's `data.task` tells a notification. */
interface LoggedTask {
  ref: NotifiedTask;
  assigneeId: string | null;
  description: string;
}

/**
 * The task a task entry carries, or null when it carries none: entries are free-form
 * JSON, and one without a task (a hand-made or older entry) tells nobody anything.
 */
function loggedTask(data: Stored): LoggedTask | null {
  const task = data.task;
  if (typeof task !== 'object' || task === null) return null;
  const { id, key, title, assigneeId, description } = task as Stored;
  if (typeof id !== 'string' || typeof key !== 'string' || typeof title !== 'string') return null;
  return {
    ref: { id, key, title },
    assigneeId: typeof assigneeId === 'string' ? assigneeId : null,
    description: typeof description === 'string' ? description : '',
  };
}

/** Stores the description's mentions; answers the members it newly names. */
async function describedMentions(
  trx: Kysely<Database>,
  workspaceId: string,
  taskId: string,
  description: string,
): Promise<string[]> {
  const mentions = await resolveMentions(trx, workspaceId, parseMentions(description));
  return replaceTaskMentions(trx, workspaceId, taskId, mentions);
}

async function taskCreated(
  trx: Kysely<Database>,
  entry: ActivityEntry,
  taskId: string,
): Promise<Derived | null> {
  const logged = loggedTask(entry.data);
  if (!logged) return null;
  const task = logged.ref;
  const assignee = logged.assigneeId;
  const mentioned = await describedMentions(trx, entry.workspaceId, taskId, logged.description);
  return {
    watch: [...person(entry), ...(assignee ? [assignee] : []), ...mentioned],
    tell: [
      ...(assignee ? [{ userId: assignee, kind: 'assigned' as const, data: { task } }] : []),
      ...mentioned.map((userId) => ({ userId, kind: 'mentioned' as const, data: { task } })),
    ],
    commentId: null,
  };
}

async function taskUpdated(
  trx: Kysely<Database>,
  entry: ActivityEntry,
  taskId: string,
): Promise<Derived | null> {
  const changes = (entry.data.changes ?? {}) as Record<string, Change | undefined>;
  const assignee = changes.assigneeId?.to;
  const state = changes.stateId;
  if (typeof assignee !== 'string' && !state && !changes.description) return null;
  const logged = loggedTask(entry.data);
  if (!logged) return null;
  const task = logged.ref;
  const derived: Derived = { watch: [], tell: [], commentId: null };
  if (typeof assignee === 'string') {
    derived.watch.push(assignee);
    derived.tell.push({ userId: assignee, kind: 'assigned', data: { task } });
  }
  if (state) {
    const from = String(state.from);
    const to = String(state.to);
    const names = await stateNames(trx, entry.workspaceId, [from, to]);
    // A state being removed may be gone already: its category's status stands in.
    const change = {
      from: names.get(from) ?? String(changes.status?.from ?? from),
      to: names.get(to) ?? String(changes.status?.to ?? to),
    };
    for (const userId of await watcherIds(trx, entry.workspaceId, taskId)) {
      derived.tell.push({ userId, kind: 'status_changed', data: { task, change } });
    }
  }
  if (changes.description) {
    const mentioned = await describedMentions(trx, entry.workspaceId, taskId, logged.description);
    derived.watch.push(...mentioned);
    for (const userId of mentioned)
      derived.tell.push({ userId, kind: 'mentioned', data: { task } });
  }
  return derived;
}

async function commentWritten(
  trx: Kysely<Database>,
  entry: ActivityEntry,
  taskId: string,
): Promise<Derived | null> {
  const comment = entry.data.comment as Stored | undefined;
  if (typeof comment?.id !== 'string' || typeof comment.body !== 'string') return null;
  // A comment's entry names its task by id only.
  const ref = (await taskRefs(trx, entry.workspaceId, [taskId])).get(taskId);
  if (!ref) return null;
  const task: NotifiedTask = { id: ref.id, key: ref.key, title: ref.title };
  const excerpt = Array.from(comment.body).slice(0, EXCERPT_CODE_POINTS).join('');
  const data = { task, excerpt };
  // Who is newly mentioned only the writer knows (comments.ts stores the mentions).
  const mentioned = [...new Set(entry.mentioned ?? [])];
  const derived: Derived = {
    watch: [...person(entry), ...mentioned],
    tell: mentioned.map((userId) => ({ userId, kind: 'mentioned' as const, data })),
    commentId: comment.id,
  };
  if (entry.type === 'comment.created') {
    for (const userId of await watcherIds(trx, entry.workspaceId, taskId)) {
      derived.tell.push({ userId, kind: 'commented', data });
    }
  }
  return derived;
}
