import { useQuery } from '@tanstack/react-query';
import type { RouterOutputs } from '@trellis/client';
import { messageOf } from '../app/errors';
import { useTRPC } from '../app/trpc';
import { useWorkspace } from '../app/workspace';
import { ErrorMessage, Loading } from '../forms/Alert';
import { formatTime } from './time';

type Entry = RouterOutputs['activity']['list']['items'][number];

const VERBS: Record<string, string> = {
  'task.created': 'created the task',
  'task.updated': 'updated',
  'task.deleted': 'deleted the task',
  'comment.created': 'commented',
  'comment.updated': 'edited a comment',
  'comment.deleted': 'deleted a comment',
};

/** A value from the log as short text (it is data, shown as text, never as markup). */
function show(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

/** "status: todo → done; priority: 0 → 2" for a task update. */
function changesOf(entry: Entry): string {
  const changes = entry.data.changes;
  if (!changes || typeof changes !== 'object') return '';
  return Object.entries(changes as Record<string, { from?: unknown; to?: unknown }>)
    .map(([field, change]) => `${field}: ${show(change?.from)} → ${show(change?.to)}`)
    .join('; ');
}

/** What happened to a task, newest first (activity.list with its id). */
export function TaskActivity({ taskId }: { taskId: string }) {
  const trpc = useTRPC();
  const workspace = useWorkspace();
  const activity = useQuery(
    trpc.activity.list.queryOptions({ workspaceId: workspace.id, taskId, limit: 50 }),
  );
  return (
    <section className="card">
      <h2 id="activity-title">Activity</h2>
      {activity.isPending ? <Loading what="Loading activity…" /> : null}
      <ErrorMessage>{activity.isError ? messageOf(activity.error) : null}</ErrorMessage>
      {activity.data?.items.length === 0 ? <p className="empty">No activity yet.</p> : null}
      <ol className="activity">
        {activity.data?.items.map((entry) => (
          <li key={entry.id}>
            <strong>{entry.actor?.name ?? (entry.apiTokenId ? 'An API token' : 'Someone')}</strong>{' '}
            {VERBS[entry.type] ?? entry.type}
            {entry.type === 'task.updated' ? ` ${changesOf(entry)}` : ''}{' '}
            <time className="muted" dateTime={entry.createdAt}>
              {formatTime(entry.createdAt)}
            </time>
          </li>
        ))}
      </ol>
    </section>
  );
}
