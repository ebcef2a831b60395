import { Link } from '../app/router';
import { paths } from '../app/routes';
import { useWorkspace } from '../app/workspace';
import { priorityName, type Task } from './taskFields';

/** One task in a list: key and title (a link to it), status, priority, assignee, labels. */
export function TaskRow({ task, assignee }: { task: Task; assignee: string | undefined }) {
  const workspace = useWorkspace();
  return (
    <li className="task-row">
      <Link to={paths.task(workspace.slug, task.id)} className="task-link">
        <span className="key">{task.key}</span> <span className="title">{task.title}</span>
      </Link>
      <span className={`badge status-${task.status}`}>{task.status}</span>
      <span className="muted">{priorityName(task.priority)}</span>
      <span className="muted">{assignee ?? 'Unassigned'}</span>
      {task.labels.length > 0 ? (
        <span className="labels">
          {task.labels.map((label) => (
            <span key={label} className="label">
              {label}
            </span>
          ))}
        </span>
      ) : null}
    </li>
  );
}
