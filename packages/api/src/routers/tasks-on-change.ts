import { tracked } from '@trpc/server';
import { z } from 'zod';
import { type AccessNeed, identify, resolveWorkspaceAccess } from '../access.js';
import { activityBus } from '../activity.js';
import type { Context } from '../context.js';
import { anyLogPosition, encodeCursor, unknownPosition, zCursor } from '../cursor.js';
import { entriesAfter, latestPosition, legacyPosition } from '../queries/activity.js';
import type { TaskView } from '../queries/tasks.js';
import { streamWakeups } from '../stream-wakeups.js';
import { workspaceInput, workspaceProcedure } from '../trpc.js';

// Live task changes are read from the activity log, not from an in-memory feed: an event
// id is a position in the workspace's log (its entry's number there, `workspace_seq`), so
// a client that reconnects with the last id it saw gets exactly what it missed, whichever
// process served it before.

/** One change to a task as subscribers receive it; `task` is the task after the change
 * (for `deleted`, as it was). */
export interface TaskChangeEvent {
  id: string;
  type: 'created' | 'updated' | 'deleted';
  task: TaskView;
}

const EVENT_TYPES = {
  'task.created': 'created',
  'task.updated': 'updated',
  'task.deleted': 'deleted',
  // Back from the trash: to a live list, a task that appears.
  'task.restored': 'created',
} as const satisfies Record<string, TaskChangeEvent['type']>;
const TASK_ACTIVITY = Object.keys(EVENT_TYPES) as (keyof typeof EVENT_TYPES)[];

/** Log entries read per query, while replaying or catching up. */
const BATCH_SIZE = 500;

// Event ids are log positions, opaque like every cursor (and free of the characters an
// SSE `id:` line cannot carry). Ids from before migration 0008 held a global `seq`; they
// are still taken back (queries/activity.ts, legacyPosition). Position 0, before a
// workspace's first entry, is where a stream over an empty log starts (STREAM_START_HEADER).
const zEventId = zCursor(
  z.union([anyLogPosition, z.object({ at: z.literal(0) }).strict()]),
  'event id',
);

/**
 * The response header by which a subscription names the position its stream starts after;
 * the transport moves it onto the stream's first (`connected`) event as its SSE id, so an
 * EventSource that reconnects before any change sends it back as `Last-Event-ID` and
 * resumes there, not from a new "now". Never sent to clients.
 */
export const STREAM_START_HEADER = 'trellis-stream-start';

/** Who may listen: what the procedure checks at subscribe time and the stream re-checks. */
const LISTENERS = {
  minRole: 'viewer',
  mutation: false,
  peopleOnly: false,
  label: 'Workspace',
} as const satisfies AccessNeed;

function toEvent(position: number, type: string, data: string | null): TaskChangeEvent | null {
  if (!(type in EVENT_TYPES) || data === null) return null;
  const { task } = JSON.parse(data) as { task: TaskView };
  return {
    id: encodeCursor({ at: position }),
    type: EVENT_TYPES[type as keyof typeof EVENT_TYPES],
    task,
  };
}

/** What a subscription needs to re-check that its caller may still listen. */
interface Subscriber extends Pick<Context, 'db' | 'config' | 'credential' | 'now'> {
  workspace: { id: string };
}

/**
 * The subscribe-time check, repeated by the same resolver: the credential is still valid
 * (not signed out, revoked or expired) and still grants this workspace (still a member; a
 * token's creator still an admin).
 */
async function stillAllowed(ctx: Subscriber): Promise<boolean> {
  const principal = await identify(ctx.db, ctx.credential, {
    now: ctx.now(),
    policy: ctx.config.sessionPolicy,
  });
  if ('refused' in principal) return false;
  const access = await resolveWorkspaceAccess(ctx.db, principal, ctx.workspace.id, LISTENERS);
  return !('refused' in access);
}

async function* taskChanges(ctx: Subscriber, start: number, signal: AbortSignal | undefined) {
  const wake = streamWakeups((fire) => activityBus.listen(ctx.workspace.id, fire), signal);
  let position = start;
  try {
    while (!signal?.aborted) {
      let entries: Awaited<ReturnType<typeof entriesAfter>>;
      do {
        entries = await entriesAfter(ctx.db, ctx.workspace.id, position, {
          withDataOf: TASK_ACTIVITY,
          limit: BATCH_SIZE,
        });
        for (const entry of entries) {
          position = entry.position;
          const event = toEvent(entry.position, entry.type, entry.data);
          if (event) yield tracked(event.id, event);
        }
      } while (entries.length === BATCH_SIZE && !signal?.aborted);
      await wake.next();
      if (signal?.aborted || !(await stillAllowed(ctx))) return;
    }
  } finally {
    wake.close();
  }
}

/**
 * Viewers and API tokens: the workspace's task changes as they happen, over SSE. Each
 * event carries an id; resubscribing with `lastEventId` (httpSubscriptionLink does it on
 * reconnect) first replays every change after it, in order. Without it the stream starts
 * from now. Ids count the workspace's own entries, never the whole server's. An id this
 * workspace never issued (past its newest entry; or, from before migration 0008, past the
 * upgrade) is BAD_REQUEST rather than a silent restart from now, which would drop changes
 * unnoticed. Access is re-checked on every wake-up: a removed member's or revoked token's
 * stream ends.
 */
export const onTaskChange = workspaceProcedure(LISTENERS.minRole)
  .input(workspaceInput.extend({ lastEventId: zEventId.optional() }).strict())
  // An async function returning the generator (not an async generator itself): tRPC
  // awaits it before it starts the response, so the start position is fixed before the
  // client hears "connected", and nothing written after that can be missed.
  .subscription(async ({ ctx, input, signal }) => {
    // From now means after the workspace's newest committed entry: one still in flight
    // has a higher number, and commits before any higher one (recordActivity).
    const latest = await latestPosition(ctx.db, ctx.workspace.id);
    const sent = input.lastEventId;
    const after =
      sent === undefined
        ? latest
        : 'at' in sent
          ? sent.at
          : await legacyPosition(ctx.db, ctx.workspace.id, sent.seq, 'at or before');
    if (after === undefined || after > latest) throw unknownPosition('lastEventId', 'event id');
    // The start is the stream's resume point until its first change: a reconnect before
    // one must not start again from a later "now".
    ctx.setHeader(STREAM_START_HEADER, encodeCursor({ at: after }));
    return taskChanges(ctx, after, signal);
  });
