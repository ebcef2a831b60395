import type { z } from 'zod';
import { type logEventOutput, pingEventOutput, type webhookEventOutput } from './outputs.js';
import type { EventRow } from './queries/events.js';

// An event is an activity log entry as integrations see it: `{id, type, timestamp,
// workspaceId, actor, data}` with `data` the API's own output type for the object (a Task,
// a Comment, a Member, …). Webhooks and `events.list` build them here, from the entry alone,
// so a replay months later sends what was sent at the time.

/** An event of a workspace's log. */
export type LogEvent = z.output<typeof logEventOutput>;
/** Any event a webhook can receive (the log's, or a ping). */
export type WebhookEvent = z.output<typeof webhookEventOutput>;
/** A log event type (`task.created`, …). */
export type LogEventType = LogEvent['type'];

type Stored = Record<string, unknown>;
type Changes = Record<string, { from: unknown; to: unknown }>;

/**
 * A comment event's comment. Entries recorded before events existed held only the comment's
 * id and the first 200 characters of its body: those stand in for the rest. Entries
 * recorded before mentions existed show none.
 */
function commentOf(row: EventRow, data: Stored) {
  if (data.comment) return { mentions: [], ...(data.comment as Stored) };
  return {
    id: String(data.commentId ?? ''),
    taskId: String(data.taskId ?? ''),
    authorId: typeof data.authorId === 'string' ? data.authorId : row.actorId,
    authorName: null,
    body: String(data.excerpt ?? ''),
    createdAt: row.createdAt,
    updatedAt: row.createdAt,
    edited: row.type === 'comment.updated',
    mentions: [],
  };
}

/**
 * A member event's member. Entries recorded before events existed held the user's id, name
 * and role only: their email is empty and `joinedAt` is the entry's time. Entries recorded
 * before handles existed have an empty handle.
 */
function memberOf(row: EventRow, data: Stored) {
  if (data.member) return { handle: '', ...(data.member as Stored) };
  const changes = data.changes as Changes | undefined;
  return {
    userId: String(data.userId ?? ''),
    name: String(data.name ?? ''),
    email: '',
    handle: '',
    role: changes?.role?.to ?? data.role,
    joinedAt: row.createdAt,
  };
}

/** The object an entry's event carries as `data`. */
function dataOf(row: EventRow, data: Stored): unknown {
  const [kind] = row.type.split('.');
  switch (kind) {
    case 'task':
      // task.relation_added / _removed tell of a relation, not of the task itself.
      return data.relation ?? data.task;
    case 'project':
      return data.project;
    case 'state':
      return data.state;
    case 'comment':
      return commentOf(row, data);
    case 'member':
      return memberOf(row, data);
    case 'attachment':
      return data.attachment;
    default: {
      // api_token.revoked: the entry's data is the event's.
      const { changes: _changes, ...rest } = data;
      return rest;
    }
  }
}

/** The event an activity entry is. */
export function toEvent(row: EventRow): LogEvent {
  const data = JSON.parse(row.data) as Stored;
  const event = {
    id: row.id,
    type: row.type,
    timestamp: row.createdAt,
    workspaceId: row.workspaceId,
    actor:
      row.actorId !== null && row.actorName !== null
        ? { userId: row.actorId, name: row.actorName }
        : null,
    data: dataOf(row, data),
    ...(data.changes !== undefined && { changes: data.changes }),
  };
  // The schemas are the contract; an entry is built by this server, so it fits them.
  return event as LogEvent;
}

/** The `webhook.ping` event `webhooks.test` sends. */
export function pingEvent(input: {
  id: string;
  workspaceId: string;
  webhookId: string;
  actor: { userId: string; name: string } | null;
  at: Date;
}): WebhookEvent {
  return pingEventOutput.parse({
    id: input.id,
    type: 'webhook.ping',
    timestamp: input.at.toISOString(),
    workspaceId: input.workspaceId,
    actor: input.actor,
    data: { webhookId: input.webhookId },
  });
}
