import { API_TOKEN_SCOPES, STATE_CATEGORIES, TASK_STATUSES } from '@trellis/db';
import { z } from 'zod';
import { NOTIFICATION_KINDS, type NotificationKind } from './notifications/kinds.js';
import { TASK_SORTS } from './queries/tasks-list.js';
import { zRole } from './schemas.js';
import { taskListFiltersOutput } from './task-filters.js';

// What procedures answer, as zod schemas (`.output(...)` on every query and mutation).
// tRPC parses every answer with them, so they are deliberately lean: types only, no
// refinements or transforms. Plain `z.object` strips unknown keys, so a column added to a
// query never leaks by accident. Keys are listed in the order the procedures have always
// sent them, because parsing rebuilds each object in schema order. The types the queries
// return are these schemas' outputs (`TaskView` is `z.output<typeof taskOutput>`), so the
// two cannot drift apart.

/** An ISO-8601 UTC timestamp, as the database stores it. */
export const zTimestamp = z.string();

/** `{ ok: true }`: what mutations that return nothing else answer. */
export const okOutput = z.object({ ok: z.literal(true) });

/** A user as they see themselves: never a password hash. `handle` is how others mention them. */
export const userOutput = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  handle: z.string(),
});

/** A new session: its bearer token (the cookie carries the same) and when it expires. */
export const signedInOutput = z.object({
  user: userOutput,
  session: z.object({ token: z.string(), expiresAt: zTimestamp }),
});

/**
 * auth.signIn: a new session, and this device's new `trd_…` token (also set as the device
 * cookie): sent back as `deviceToken` on later sign-ins, it keeps this device from being
 * locked out by failures elsewhere.
 */
export const signInOutput = signedInOutput.extend({ deviceToken: z.string() });

/**
 * auth.me: who is signed in (with whether their email is verified and whether they have a
 * password, or sign in through OAuth/OIDC only), and their workspaces with their role in each.
 */
export const meOutput = z.object({
  user: userOutput.extend({ emailVerified: z.boolean(), hasPassword: z.boolean() }),
  workspaces: z.array(
    z.object({ id: z.string(), name: z.string(), slug: z.string(), role: zRole }),
  ),
});

/** auth.verifyEmail: the address that is now the account's, verified. */
export const emailVerifiedOutput = z.object({ ok: z.literal(true), email: z.string() });

/** notifications.unsubscribe: email digests are now off for the link's person. */
export const unsubscribedOutput = z.object({ ok: z.literal(true), email: z.literal(false) });

/** One of the caller's sessions; `current` marks the one making the request. */
export const sessionOutput = z.object({
  id: z.string(),
  createdAt: zTimestamp,
  lastVerifiedAt: zTimestamp,
  expiresAt: zTimestamp,
  userAgent: z.string().nullable(),
  ip: z.string().nullable(),
  current: z.boolean(),
});

/** How many sessions a sign-out everywhere ended. */
export const revokedOutput = z.object({ revoked: z.int() });

/** A workspace with the caller's role in it. */
export const workspaceOutput = z.object({
  id: z.string(),
  name: z.string(),
  slug: z.string(),
  role: zRole,
  createdAt: zTimestamp,
  updatedAt: zTimestamp,
});

/**
 * A workspace member. `handle` is how others mention them (`@handle`); in events of entries
 * written before handles existed it is empty.
 */
export const memberOutput = z.object({
  userId: z.string(),
  name: z.string(),
  email: z.string(),
  handle: z.string(),
  role: zRole,
  joinedAt: zTimestamp,
});

/** A new invite; `inviteToken` is shown this once. */
export const inviteCreatedOutput = z.object({
  inviteId: z.string(),
  inviteToken: z.string(),
  email: z.string(),
  role: zRole,
  expiresAt: zTimestamp,
});

/** A pending invite (never its token). `invitedBy` is null once that account is gone. */
export const inviteOutput = z.object({
  id: z.string(),
  email: z.string(),
  role: zRole,
  invitedBy: z.string().nullable(),
  createdAt: zTimestamp,
  expiresAt: zTimestamp,
});

/** The membership an accepted invite created. */
export const membershipOutput = z.object({
  workspaceId: z.string(),
  userId: z.string(),
  role: zRole,
  joinedAt: zTimestamp,
  workspace: z.object({ id: z.string(), name: z.string(), slug: z.string() }),
});

const apiTokenFields = {
  id: z.string(),
  name: z.string(),
  scope: z.enum(API_TOKEN_SCOPES),
  createdBy: z.string(),
  createdAt: zTimestamp,
  expiresAt: zTimestamp.nullable(),
  lastUsedAt: zTimestamp.nullable(),
  revokedAt: zTimestamp.nullable(),
};

/** An API token as listed: never its secret nor its hash. */
export const apiTokenOutput = z.object(apiTokenFields);

/** A new API token with its secret `token`, shown this once. */
export const apiTokenCreatedOutput = z.object({ ...apiTokenFields, token: z.string() });

/** A project; `archivedAt` is null while it takes new tasks. */
export const projectOutput = z.object({
  id: z.string(),
  workspaceId: z.string(),
  key: z.string(),
  name: z.string(),
  archivedAt: zTimestamp.nullable(),
  createdAt: zTimestamp,
  updatedAt: zTimestamp,
});

/**
 * A workflow state of a project. `category` never changes; it decides what a task in the
 * state counts as (its `status`, stats, `completedAt`).
 */
export const stateOutput = z.object({
  id: z.string(),
  workspaceId: z.string(),
  projectId: z.string(),
  name: z.string(),
  category: z.enum(STATE_CATEGORIES),
  /** The state's place in its project's order: 1, 2, … */
  position: z.int(),
  createdAt: zTimestamp,
  updatedAt: zTimestamp,
});

/** A task; `key` is the project key and number (`ENG-12`). */
export const taskOutput = z.object({
  id: z.string(),
  workspaceId: z.string(),
  projectId: z.string(),
  number: z.int(),
  title: z.string(),
  description: z.string(),
  status: z.enum(TASK_STATUSES),
  /** The task's workflow state (a state of its project); `status` is its category's. */
  stateId: z.string(),
  priority: z.int(),
  assigneeId: z.string().nullable(),
  dueAt: zTimestamp.nullable(),
  version: z.int(),
  createdBy: z.string(),
  createdAt: zTimestamp,
  updatedAt: zTimestamp,
  completedAt: zTimestamp.nullable(),
  key: z.string(),
  labels: z.array(z.string()),
  /** The task this one is a sub-task of (same project), or null. */
  parentId: z.string().nullable(),
});

/** Another task as a relation shows it (tasks.get's `relations`). */
export const taskRefOutput = z.object({
  id: z.string(),
  key: z.string(),
  title: z.string(),
  status: z.enum(TASK_STATUSES),
});

/**
 * A task's relations from both sides: the tasks it blocks and those blocking it, those it
 * relates to (either side added it), those it duplicates and those duplicating it.
 */
export const taskRelationsOutput = z.object({
  blocks: z.array(taskRefOutput),
  blockedBy: z.array(taskRefOutput),
  relates: z.array(taskRefOutput),
  duplicates: z.array(taskRefOutput),
  duplicatedBy: z.array(taskRefOutput),
});

/**
 * A member named with `@` in a comment or a description: `text` is what was written
 * (`@jane`, `@jane@example.com`), `name` and `handle` are the member's now.
 */
export const mentionOutput = z.object({
  userId: z.string(),
  text: z.string(),
  name: z.string(),
  handle: z.string(),
});

/** A task as tasks.get answers it: with its parent, how many sub-tasks it has (and done), and
 * its relations. */
export const taskDetailOutput = taskOutput.extend({
  parent: z.object({ id: z.string(), key: z.string(), title: z.string() }).nullable(),
  children: z.object({ total: z.int(), done: z.int() }),
  relations: taskRelationsOutput,
  /** The members its description mentions. */
  mentions: z.array(mentionOutput),
  /** The members watching it (tasks.watch), oldest first. */
  watcherIds: z.array(z.string()),
});

/** tasks.watch / tasks.unwatch: whether the caller now watches the task. */
export const watchingOutput = z.object({ watching: z.boolean() });

/** One page of a list and the cursor of the next (null on the last page). */
function page<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

/** A page of tasks (tasks.list). */
export const taskPageOutput = page(taskOutput);

/**
 * A task in the trash (tasks.list with `trashed: true`): the task as it was when deleted,
 * when that was, and who deleted it (null once their account is gone).
 */
export const trashedTaskOutput = taskOutput.extend({
  deletedAt: zTimestamp,
  deletedBy: z.string().nullable(),
});

/**
 * tasks.list: a page of tasks, or with `trashed: true` a page of the trash, whose items
 * also carry `deletedAt` and `deletedBy` (never present on live tasks). One shape rather
 * than a union of two pages, so that clients reading live tasks keep their type.
 */
export const taskListOutput = page(
  taskOutput.extend({
    deletedAt: trashedTaskOutput.shape.deletedAt.optional(),
    deletedBy: trashedTaskOutput.shape.deletedBy.optional(),
  }),
);

/**
 * A comment; the body is exactly what its author sent. `mentions`: the members it names
 * (members only; in events of entries written before mentions existed, empty).
 */
export const commentOutput = z.object({
  id: z.string(),
  taskId: z.string(),
  /** Null once the author's account is deleted. */
  authorId: z.string().nullable(),
  authorName: z.string().nullable(),
  body: z.string(),
  createdAt: zTimestamp,
  updatedAt: zTimestamp,
  /** True once the body has been changed after it was posted. */
  edited: z.boolean(),
  mentions: z.array(mentionOutput),
});

/** A page of a task's comments, oldest first. */
export const commentPageOutput = page(commentOutput);

/**
 * A file attached to a task (or one of its comments). `contentType` is the type downloads
 * are served as (an allowed type, else application/octet-stream); `downloadUrl` and
 * `previewUrl` are paths below the server's origin.
 */
export const attachmentOutput = z.object({
  id: z.string(),
  workspaceId: z.string(),
  taskId: z.string(),
  commentId: z.string().nullable(),
  filename: z.string(),
  contentType: z.string(),
  size: z.number().int().nonnegative(),
  /** Hex SHA-256 of the bytes (also the download's ETag). */
  sha256: z.string(),
  /** Null once the uploader's account is deleted. */
  uploadedBy: z.string().nullable(),
  createdAt: zTimestamp,
  hasPreview: z.boolean(),
  downloadUrl: z.string(),
  /** A small WebP preview (images), or null. */
  previewUrl: z.string().nullable(),
});

/** One entry of the activity log; `data` depends on `type`. */
export const activityOutput = z.object({
  id: z.string(),
  type: z.string(),
  /** Who did it; null when their account has since been deleted. */
  actor: z.object({ userId: z.string(), name: z.string() }).nullable(),
  /** The API token the actor acted through, or null when they acted in person. */
  apiTokenId: z.string().nullable(),
  projectId: z.string().nullable(),
  taskId: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
  createdAt: zTimestamp,
});

/** A page of the activity log, newest first. */
export const activityPageOutput = page(activityOutput);

/** Search results, best first. */
export const searchOutput = z.object({
  items: z.array(
    z.object({
      task: taskOutput,
      /** Relevance: higher is better; only comparable within one answer. */
      rank: z.number(),
      /** Plain text around the best match (no markup), when there is one to show. */
      snippet: z.string().optional(),
    }),
  ),
});

/** A count for one UTC day (`YYYY-MM-DD`). */
const dayCount = z.object({ day: z.string(), count: z.int() });

/** A workspace's dashboard numbers. */
export const statsOutput = z.object({
  /** Every status, zeros included. */
  byStatus: z.object(
    Object.fromEntries(TASK_STATUSES.map((status) => [status, z.int()])) as Record<
      (typeof TASK_STATUSES)[number],
      z.ZodInt
    >,
  ),
  /** Priorities 0–4 in order, zeros included. */
  byPriority: z.array(z.object({ priority: z.int(), count: z.int() })),
  /** Open tasks per assignee (null: unassigned), most first. */
  openByAssignee: z.array(
    z.object({ assigneeId: z.string().nullable(), name: z.string().nullable(), count: z.int() }),
  ),
  /** Tasks created per day, oldest day first, STATS_DAYS entries ending today. */
  createdPerDay: z.array(dayCount),
  /** Tasks completed (status done, by `completed_at`) per day, like createdPerDay. */
  completedPerDay: z.array(dayCount),
  totals: z.object({ tasks: z.int(), open: z.int(), overdue: z.int() }),
});

// Events: what webhooks deliver and `events.list` returns. Each is an activity log entry
// (its `id` is the entry's id), with `data` the API's own output type for the object.

/** One field's value before and after a change. */
const fieldChange = z.object({ from: z.unknown(), to: z.unknown() });

/** What every event has; `type` and `data` differ. */
const eventEnvelope = {
  /** The log entry's id: stable across retries (`webhook-id`), unique on the server. */
  id: z.string(),
  /** When the change was made (the entry's `createdAt`). */
  timestamp: zTimestamp,
  workspaceId: z.string(),
  /** Who made it; null for changes nobody made directly, or after their account was deleted. */
  actor: z.object({ userId: z.string(), name: z.string() }).nullable(),
};

// Keys in the order a delivery's body has them: id, type, timestamp, workspaceId, actor, data.
function eventOf<const T extends string, D extends z.ZodType>(type: T, data: D) {
  const { id, ...rest } = eventEnvelope;
  return z.object({ id, type: z.literal(type), ...rest, data });
}

function changeEventOf<const T extends string, D extends z.ZodType>(type: T, data: D) {
  const { id, ...rest } = eventEnvelope;
  return z.object({
    id,
    type: z.literal(type),
    ...rest,
    data,
    /** The fields that changed, from and to. */
    changes: z.record(z.string(), fieldChange),
  });
}

/**
 * A relation between two tasks as told by `task.relation_added` / `task.relation_removed`:
 * `taskId` `type` `otherTaskId` (ENG-1 blocks ENG-2), as the caller named it; `relates`
 * reads both ways. Keys as they were when the change was made.
 */
export const taskRelationOutput = z.object({
  type: z.enum(['blocks', 'relates', 'duplicates']),
  taskId: z.string(),
  taskKey: z.string(),
  otherTaskId: z.string(),
  otherTaskKey: z.string(),
});

/**
 * A saved view: tasks.list's filters and sort under a name. `shared`: every member sees it;
 * otherwise only its owner does.
 */
export const viewOutput = z.object({
  id: z.string(),
  workspaceId: z.string(),
  name: z.string(),
  shared: z.boolean(),
  ownerId: z.string(),
  filters: taskListFiltersOutput,
  sort: z.enum(TASK_SORTS),
  order: z.enum(['asc', 'desc']),
  createdAt: zTimestamp,
  updatedAt: zTimestamp,
});

/** `api_token.revoked`: a token whose creator lost the right to hold it. */
export const apiTokenRevokedData = z.object({
  tokenId: z.string(),
  name: z.string(),
  createdBy: z.object({ userId: z.string(), name: z.string() }),
  reason: z.enum(['creator_role_changed', 'creator_removed', 'creator_left']),
});

/** Every event the log can hold, by type. */
export const logEventOutputs = [
  eventOf('project.created', projectOutput),
  changeEventOf('project.updated', projectOutput),
  eventOf('project.archived', projectOutput),
  eventOf('state.created', stateOutput),
  changeEventOf('state.updated', stateOutput),
  eventOf('state.deleted', stateOutput),
  eventOf('task.created', taskOutput),
  changeEventOf('task.updated', taskOutput),
  eventOf('task.deleted', taskOutput),
  eventOf('task.restored', taskOutput),
  eventOf('task.relation_added', taskRelationOutput),
  eventOf('task.relation_removed', taskRelationOutput),
  eventOf('task.due_soon', taskOutput),
  eventOf('task.overdue', taskOutput),
  eventOf('view.created', viewOutput),
  changeEventOf('view.updated', viewOutput),
  eventOf('view.deleted', viewOutput),
  eventOf('comment.created', commentOutput),
  eventOf('comment.updated', commentOutput),
  eventOf('comment.deleted', commentOutput),
  eventOf('attachment.created', attachmentOutput),
  eventOf('attachment.deleted', attachmentOutput),
  eventOf('member.joined', memberOutput),
  changeEventOf('member.role_changed', memberOutput),
  eventOf('member.removed', memberOutput),
  eventOf('member.left', memberOutput),
  eventOf('api_token.revoked', apiTokenRevokedData),
] as const;

/** An event of the workspace's log, told apart by `type`. */
export const logEventOutput = z.discriminatedUnion('type', logEventOutputs);

/** `webhook.ping`: what `webhooks.test` sends; never in the log. */
export const pingEventOutput = eventOf('webhook.ping', z.object({ webhookId: z.string() }));

/** Every event a webhook can receive. */
export const webhookEventOutput = z.discriminatedUnion('type', [
  ...logEventOutputs,
  pingEventOutput,
]);

/** The event types of the log, in the order above. */
export const LOG_EVENT_TYPES = logEventOutputs.map((schema) => schema.shape.type.value);

/** `events.list`: events in log order, oldest first. */
export const eventPageOutput = z.object({
  items: z.array(logEventOutput),
  /** True when more events follow the last one (pass its id as `after`). */
  hasMore: z.boolean(),
});

/** A webhook endpoint as admins see it (never its secret). */
export const webhookOutput = z.object({
  id: z.string(),
  workspaceId: z.string(),
  url: z.string(),
  description: z.string(),
  /** The event types it receives; null = every type. */
  events: z.array(z.string()).nullable(),
  enabled: z.boolean(),
  /** Why it was disabled, when the server disabled it (retries ran out). */
  disabledReason: z.string().nullable(),
  /** While an event keeps failing: since when, how many tries, when the next is due. */
  failingSince: zTimestamp.nullable(),
  failedAttempts: z.int(),
  nextAttemptAt: zTimestamp.nullable(),
  /** Until when the secret before the last rotation still signs (null: none). */
  previousSecretExpiresAt: zTimestamp.nullable(),
  createdAt: zTimestamp,
  updatedAt: zTimestamp,
});

/** webhooks.create / rotateSecret: the signing secret, shown this once. */
export const webhookSecretOutput = z.object({ id: z.string(), secret: z.string() });

/** One attempt to send an event to an endpoint. */
export const webhookDeliveryOutput = z.object({
  id: z.string(),
  webhookId: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  /** 1 for the first try of an event, counting up while it fails. */
  attempt: z.int(),
  /** `event` (sent by the delivery worker), `redelivery` or `ping`. */
  trigger: z.enum(['event', 'redelivery', 'ping']),
  /** `delivered`: the endpoint answered 2xx. */
  outcome: z.enum(['delivered', 'failed']),
  /** The endpoint's HTTP status; null when no answer came (see `error`). */
  statusCode: z.int().nullable(),
  latencyMs: z.int(),
  error: z.string().nullable(),
  /** The start of the response body (at most 1 KB). */
  responseExcerpt: z.string().nullable(),
  createdAt: zTimestamp,
});

/** A page of an endpoint's deliveries, newest first. */
export const webhookDeliveryPageOutput = page(webhookDeliveryOutput);

/**
 * An import job (imports.get, and the 202 answer of an upload): where it is (`phase`,
 * `done` of `total`, null when unknown), and once finished its `error` or `report`.
 * `workspaceId` is the target (a workspace import sets it when the new workspace is made;
 * null again if that workspace was removed after a failure).
 */
export const importJobOutput = z.object({
  id: z.string(),
  kind: z.enum(['workspace', 'tasks.csv']),
  status: z.enum(['queued', 'running', 'succeeded', 'failed']),
  phase: z.string(),
  done: z.int(),
  total: z.int().nullable(),
  workspaceId: z.string().nullable(),
  error: z.string().nullable(),
  /** What the job did (its shape depends on `kind`); null until it ends. */
  report: z.record(z.string(), z.unknown()).nullable(),
  createdAt: zTimestamp,
  updatedAt: zTimestamp,
  finishedAt: zTimestamp.nullable(),
});

/**
 * One notification of the caller's inbox. `task` is the task as it was when the
 * notification was written (it may since have been renamed or deleted); `actor` is who
 * did it, with their current name (null for reminders, and once their account is gone).
 * `excerpt` (commented, mentioned in a comment: the start of the comment), `change`
 * (status_changed: the state's name before and after) and `dueAt` (due_soon, overdue) are
 * present only on the kinds that have them. `readAt` is null while unread.
 */
export const notificationOutput = z.object({
  id: z.string(),
  kind: z.enum(NOTIFICATION_KINDS),
  workspaceId: z.string(),
  task: z.object({ id: z.string(), key: z.string(), title: z.string() }),
  commentId: z.string().nullable(),
  actor: z.object({ id: z.string(), name: z.string() }).nullable(),
  excerpt: z.string().optional(),
  change: z.object({ from: z.string(), to: z.string() }).optional(),
  dueAt: zTimestamp.optional(),
  createdAt: zTimestamp,
  readAt: zTimestamp.nullable(),
});

/** A page of the inbox, newest first (notifications.list). */
export const notificationPageOutput = page(notificationOutput);

/** How many of the caller's notifications are unread (notifications.unreadCount). */
export const unreadCountOutput = z.object({ count: z.int() });

/** notifications.markRead: how many notifications this call marked read. */
export const markedReadOutput = z.object({ marked: z.int() });

/**
 * One event of notifications.onNew: a new notification and the caller's unread count as of
 * it, so a badge fed by the stream agrees with unreadCount.
 */
export const notificationEventOutput = z.object({
  notification: notificationOutput,
  unreadCount: z.int(),
});

/** A person's notification preferences (notifications.preferences.get / update). */
export const notificationPreferencesOutput = z.object({
  kinds: z.object(
    Object.fromEntries(NOTIFICATION_KINDS.map((kind) => [kind, z.boolean()])) as Record<
      NotificationKind,
      z.ZodBoolean
    >,
  ),
  email: z.boolean(),
  emailIntervalMinutes: z.int(),
});
