import { EventEmitter } from 'node:events';
import { type Database, dialectOf, isoNow, type Kysely, newId } from '@trellis/db';
import { TRPCError } from '@trpc/server';
import { sql } from 'kysely';
import type { Actor } from './access.js';
import { deriveNotifications } from './notifications/derive.js';
import { lockWorkspace, newestEntryTime } from './queries/activity.js';
import { withQueuedNotifications } from './queries/notifications.js';

// The append-only activity log. Every change writes its entry in the SAME transaction as
// the change itself, so the log never misses a change and never tells of one that was
// rolled back. Live streams (tasks.onChange) replay from it.

/** The PostgreSQL channel a write announces its workspace's new activity on (payload: the
 * workspace id); every server process listens on it (activity-listener.ts). */
export const ACTIVITY_CHANNEL = 'trellis_activity';

/** What happened. Task events carry `data.task` (the task after the change; for
 * `task.deleted`, as it was) and `task.updated` also `data.changes`; relation events carry
 * `data.relation` instead. `api_token.revoked`
 * is written when a token's creator loses the right to hold it (`data.reason`). */
export type ActivityType =
  | 'project.created'
  | 'project.updated'
  | 'project.archived'
  | 'state.created'
  | 'state.updated'
  | 'state.deleted'
  | 'task.created'
  | 'task.updated'
  | 'task.deleted'
  | 'task.restored'
  | 'task.relation_added'
  | 'task.relation_removed'
  | 'task.due_soon'
  | 'task.overdue'
  | 'view.created'
  | 'view.updated'
  | 'view.deleted'
  | 'comment.created'
  | 'comment.updated'
  | 'comment.deleted'
  | 'attachment.created'
  | 'attachment.deleted'
  | 'member.joined'
  | 'member.role_changed'
  | 'member.removed'
  | 'member.left'
  | 'api_token.revoked';

/** One field's value before and after an update. */
export interface FieldChange {
  from: unknown;
  to: unknown;
}

/** An entry to append. */
export interface ActivityEntry {
  workspaceId: string;
  /** Null for changes nobody made directly (none yet). */
  actor: Actor | null;
  type: ActivityType;
  projectId?: string | null;
  taskId?: string | null;
  data: Record<string, unknown>;
  /**
   * Comment entries: the members this change mentions that the comment did not mention
   * before (the writer knows, the entry does not say). Not stored; see notifications/derive.ts.
   */
  mentioned?: readonly string[];
}

const workspaceNotFound = () =>
  new TRPCError({ code: 'NOT_FOUND', message: 'Workspace not found' });

/**
 * Takes the workspace's next entry number (`workspaces.activity_seq`), in the entry's
 * transaction. The row stays locked until commit, so a workspace's writers take numbers
 * one at a time and commit in number order: a stream that has read number 12 never needs
 * to look back for 11. (SQLite has one writer at a time anyway; on PostgreSQL this also
 * makes `seq` order the commit order within a workspace.) On PostgreSQL the same statement
 * queues the notification to other processes, delivered at commit (and dropped with a
 * rollback), when the entry is there to be read.
 */
async function nextWorkspaceSeq(
  trx: Kysely<Database>,
  workspaceId: string,
  count = 1,
): Promise<number> {
  const bumped = await trx
    .updateTable('workspaces')
    .set((eb) => ({ activity_seq: eb('activity_seq', '+', count) }))
    .where('id', '=', workspaceId)
    .returning((eb) =>
      dialectOf(trx) === 'postgres'
        ? [
            'activity_seq',
            sql<null>`pg_notify(${ACTIVITY_CHANNEL}, ${eb.ref('id')})`.as('announced'),
          ]
        : ['activity_seq'],
    )
    .executeTakeFirst();
  // Deleted meanwhile (its delete committed first): nothing of it is left to record in.
  if (!bumped) throw workspaceNotFound();
  // The first of the `count` numbers taken.
  return Number(bumped.activity_seq) - count + 1;
}

/** Where a change's time comes from (a context's `now`). */
export type Clock = () => Date;

/**
 * Inside a writing transaction, as its first step: takes the workspace's write lock and
 * answers the time to stamp the change with (its rows' timestamps and its log entry's).
 * Read once the lock is held, the time cannot be earlier than that of a writer this one
 * waited for, so entry numbers, commit order and `createdAt` agree; and it is never
 * earlier than the newest entry's, so a process whose clock is behind another's cannot
 * turn the log's times back either (it writes the newest time again instead). NOT_FOUND
 * when the workspace is gone. Every lock a write takes after this one (project, task)
 * comes after it, in that order, everywhere: no two writers wait for each other.
 */
export async function lockWorkspaceForWrite(
  trx: Kysely<Database>,
  workspaceId: string,
  clock: Clock,
): Promise<Date> {
  if (!(await lockWorkspace(trx, workspaceId))) throw workspaceNotFound();
  const newest = await newestEntryTime(trx, workspaceId);
  const now = clock();
  return newest === null ? now : new Date(Math.max(now.getTime(), Date.parse(newest)));
}

/**
 * Runs `write` in a transaction holding the workspace's write lock, with the time of its
 * change (see {@link lockWorkspaceForWrite}): every write that records activity goes
 * through here, or calls that first thing in its transaction.
 */
export function writeInWorkspace<T>(
  db: Kysely<Database>,
  workspaceId: string,
  clock: Clock,
  write: (trx: Kysely<Database>, at: Date) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(async (trx) => {
    const at = await lockWorkspaceForWrite(trx, workspaceId, clock);
    return withQueuedNotifications(trx, () => write(trx, at));
  });
}

/**
 * Appends an entry in the change's transaction (or in one of its own); returns its id, its
 * place in the whole log (`seq`, internal) and its number in the workspace's log
 * (`workspaceSeq`, what event ids and cursors show). `now` is the entry's time: the one
 * {@link lockWorkspaceForWrite} gave the change, or the log's times can go backwards.
 */
export async function recordActivity(
  db: Kysely<Database>,
  entry: ActivityEntry,
  now: Date,
): Promise<{ id: string; seq: number; workspaceSeq: number }> {
  // The number and the entry commit together, or a stream could read a later number of
  // another writer first and never look back for this one.
  if (!db.isTransaction) {
    return db.transaction().execute((trx) => recordActivity(trx, entry, now));
  }
  const workspaceSeq = await nextWorkspaceSeq(db, entry.workspaceId);
  const id = newId();
  const { seq } = await db
    .insertInto('activity')
    .values({
      id,
      workspace_id: entry.workspaceId,
      workspace_seq: workspaceSeq,
      project_id: entry.projectId ?? null,
      task_id: entry.taskId ?? null,
      actor_id: entry.actor?.userId ?? null,
      api_token_id: entry.actor?.apiTokenId ?? null,
      type: entry.type,
      data: JSON.stringify(entry.data),
      created_at: isoNow(now),
    })
    .returning('seq')
    .executeTakeFirstOrThrow();
  // Watchers and notifications the entry implies, committed with it (imports, through
  // recordActivities, notify nobody).
  await deriveNotifications(db, entry, now);
  activityBus.notify(entry.workspaceId);
  return { id, seq, workspaceSeq };
}

/**
 * Appends many entries of one workspace at once, in the change's transaction: as many
 * recordActivity calls would, in two statements (the numbers taken together; on
 * PostgreSQL one notification). For imports, where one entry per row is the rule.
 */
export async function recordActivities(
  trx: Kysely<Database>,
  workspaceId: string,
  entries: readonly Omit<ActivityEntry, 'workspaceId'>[],
  now: Date,
): Promise<void> {
  if (entries.length === 0) return;
  const first = await nextWorkspaceSeq(trx, workspaceId, entries.length);
  const createdAt = isoNow(now);
  await trx
    .insertInto('activity')
    .values(
      entries.map((entry, index) => ({
        id: newId(),
        workspace_id: workspaceId,
        workspace_seq: first + index,
        project_id: entry.projectId ?? null,
        task_id: entry.taskId ?? null,
        actor_id: entry.actor?.userId ?? null,
        api_token_id: entry.actor?.apiTokenId ?? null,
        type: entry.type,
        data: JSON.stringify(entry.data),
        created_at: createdAt,
      })),
    )
    .execute();
  activityBus.notify(workspaceId);
}

/**
 * Wakes live streams of a workspace when its log grows. Listeners re-read the log from
 * their last position, so a wake-up for a write that is not committed yet (or is rolled
 * back) costs a read and loses nothing. Within the process, recordActivity rings it; on
 * PostgreSQL, other processes' writes ring it through LISTEN (activity-listener.ts); on
 * SQLite they are picked up by the streams' periodic re-read.
 */
/** The bus's event for "some workspace's log grew" (a symbol: no workspace id equals it). */
const ANY_WORKSPACE = Symbol('any workspace');

export class ActivityBus {
  readonly #emitter = new EventEmitter().setMaxListeners(0);

  /** Tells listeners of `workspaceId` that its log may have grown. */
  notify(workspaceId: string): void {
    // After the current transaction's statements: listeners' reads queue behind it.
    setImmediate(() => {
      this.#emitter.emit(workspaceId);
      this.#emitter.emit(ANY_WORKSPACE);
    });
  }

  /** Tells every listener that its log may have grown (after news may have been missed). */
  notifyAll(): void {
    setImmediate(() => {
      for (const workspaceId of this.#emitter.eventNames()) this.#emitter.emit(workspaceId);
    });
  }

  /** Calls `listener` on every notification, whichever workspace's (the webhook worker). */
  listenAll(listener: () => void): () => void {
    this.#emitter.on(ANY_WORKSPACE, listener);
    return () => this.#emitter.off(ANY_WORKSPACE, listener);
  }

  /** Calls `listener` on every notification for `workspaceId`; returns the unsubscribe. */
  listen(workspaceId: string, listener: () => void): () => void {
    this.#emitter.on(workspaceId, listener);
    return () => this.#emitter.off(workspaceId, listener);
  }
}

/** The process's bus. Workspace ids are random, so databases sharing a process never mix. */
export const activityBus = new ActivityBus();

/** The changes between two versions of a record, field by field (only fields that differ). */
export function changedFields<T extends Record<string, unknown>>(
  before: T,
  after: T,
  fields: ReadonlyArray<keyof T & string>,
): Record<string, FieldChange> {
  const changes: Record<string, FieldChange> = {};
  for (const field of fields) {
    if (JSON.stringify(before[field]) !== JSON.stringify(after[field])) {
      changes[field] = { from: before[field], to: after[field] };
    }
  }
  return changes;
}
