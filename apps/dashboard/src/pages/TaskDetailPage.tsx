import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { isTrellisError } from '@trellis/client';
import { messageOf } from '../app/errors';
import { Link, navigate } from '../app/router';
import { paths } from '../app/routes';
import { useTRPC } from '../app/trpc';
import { atLeast, useWorkspace } from '../app/workspace';
import { ErrorMessage, Loading } from '../forms/Alert';
import { ConfirmAction } from '../forms/ConfirmAction';
import { Comments } from '../tasks/Comments';
import { TaskActivity } from '../tasks/TaskActivity';
import { TaskEditForm } from '../tasks/TaskEditForm';
import { priorityName } from '../tasks/taskFields';
import { formatTime } from '../tasks/time';

/** One task: its details (edited in place by members), comments and activity. */
export function TaskDetailPage({ taskId }: { taskId: string }) {
  const trpc = useTRPC();
  const workspace = useWorkspace();
  const task = useQuery(trpc.tasks.get.queryOptions({ taskId }));
  const back = <Link to={paths.tasks(workspace.slug)}>← All tasks</Link>;

  if (task.isPending) return <Loading what="Loading task…" />;
  if (task.isError) {
    const gone = isTrellisError(task.error) && task.error.code === 'NOT_FOUND';
    return (
      <>
        <h1>{gone ? 'Task not found' : 'Task'}</h1>
        <ErrorMessage>
          {gone ? 'This task does not exist or was deleted.' : messageOf(task.error)}
        </ErrorMessage>
        <p>{back}</p>
      </>
    );
  }
  const data = task.data;
  const canEdit = atLeast(workspace.role, 'member');
  return (
    <>
      <p className="crumbs">{back}</p>
      <h1>
        <span className="key">{data.key}</span> {data.title}
      </h1>
      <p className="meta-line">
        <span className={`badge status-${data.status}`}>{data.status}</span>
        <span>priority {priorityName(data.priority)}</span>
        <span>version {data.version}</span>
        <span>updated {formatTime(data.updatedAt)}</span>
        {data.labels.map((label) => (
          <span key={label} className="label">
            {label}
          </span>
        ))}
      </p>
      <div className="detail-layout">
        <div className="stack">
          {canEdit ? (
            <TaskEditForm task={data} />
          ) : (
            <section className="card">
              <h2>Description</h2>
              <p className="body">{data.description || 'No description.'}</p>
            </section>
          )}
          <Comments taskId={data.id} />
        </div>
        <div className="stack">
          <TaskActivity taskId={data.id} />
          {canEdit ? <DeleteTask taskId={data.id} /> : null}
        </div>
      </div>
    </>
  );
}

function DeleteTask({ taskId }: { taskId: string }) {
  const trpc = useTRPC();
  const workspace = useWorkspace();
  const queryClient = useQueryClient();
  const remove = useMutation(
    trpc.tasks.delete.mutationOptions({
      onSuccess: () => {
        navigate(paths.tasks(workspace.slug));
        void queryClient.invalidateQueries(trpc.tasks.pathFilter());
        void queryClient.invalidateQueries(trpc.stats.pathFilter());
      },
    }),
  );
  return (
    <ConfirmAction
      label="Delete task"
      question="Delete this task for everyone? This cannot be undone."
      pending={remove.isPending}
      error={remove.error}
      onConfirm={() => remove.mutate({ taskId })}
    />
  );
}
