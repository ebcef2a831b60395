import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { isConflict, messageOf } from '../app/errors';
import { Link } from '../app/router';
import { paths } from '../app/routes';
import { useTRPC } from '../app/trpc';
import { atLeast, useWorkspace } from '../app/workspace';
import { ErrorMessage, Loading } from '../forms/Alert';
import { priorityName, STATUSES, type Task, type TaskStatus } from '../tasks/taskFields';

const COLUMN_LIMIT = 100;

/** Tasks in columns by status; a card moves with its "Status of KEY" select. */
export function BoardPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const workspace = useWorkspace();
  const move = useMutation(
    trpc.tasks.update.mutationOptions({
      onSettled: () => {
        void queryClient.invalidateQueries(trpc.tasks.pathFilter());
        void queryClient.invalidateQueries(trpc.stats.pathFilter());
      },
    }),
  );
  const canMove = atLeast(workspace.role, 'member');
  const onMove = (task: Task, status: TaskStatus) =>
    move.mutate({ taskId: task.id, expectedVersion: task.version, patch: { status } });
  return (
    <>
      <h1>Board</h1>
      <ErrorMessage>
        {move.isError
          ? isConflict(move.error)
            ? 'Changed by someone else — the board is reloaded; try again.'
            : messageOf(move.error)
          : null}
      </ErrorMessage>
      <div className="board">
        {STATUSES.map((status) => (
          <Column key={status} status={status} canMove={canMove} onMove={onMove} />
        ))}
      </div>
    </>
  );
}

function Column({
  status,
  canMove,
  onMove,
}: {
  status: TaskStatus;
  canMove: boolean;
  onMove: (task: Task, status: TaskStatus) => void;
}) {
  const trpc = useTRPC();
  const workspace = useWorkspace();
  const tasks = useQuery(
    trpc.tasks.list.queryOptions({
      workspaceId: workspace.id,
      status: [status],
      sort: 'priority',
      order: 'desc',
      limit: COLUMN_LIMIT,
    }),
  );
  const headingId = `column-${status}`;
  return (
    <section className="column" aria-labelledby={headingId}>
      <h2 id={headingId}>
        {status} <span className="muted">{tasks.data?.items.length ?? ''}</span>
      </h2>
      {tasks.isPending ? <Loading /> : null}
      <ErrorMessage>{tasks.isError ? messageOf(tasks.error) : null}</ErrorMessage>
      {tasks.data?.items.length === 0 ? <p className="empty">No tasks</p> : null}
      <ul>
        {tasks.data?.items.map((task) => (
          <li key={task.id} className="board-card">
            <Link to={paths.task(workspace.slug, task.id)}>
              <span className="key">{task.key}</span> <span>{task.title}</span>
            </Link>
            <span className="muted">{priorityName(task.priority)}</span>
            {canMove ? (
              <label className="move">
                <span className="visually-hidden">Status of {task.key}</span>
                <select
                  value={task.status}
                  onChange={(e) => onMove(task, e.target.value as TaskStatus)}
                >
                  {STATUSES.map((s) => (
                    <option key={s} value={s}>
                      {s}
                    </option>
                  ))}
                </select>
              </label>
            ) : null}
          </li>
        ))}
      </ul>
      {tasks.data?.nextCursor ? (
        <Link to={paths.tasks(workspace.slug, `?status=${status}`)}>All {status} tasks</Link>
      ) : null}
    </section>
  );
}
