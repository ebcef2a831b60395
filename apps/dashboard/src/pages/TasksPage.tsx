import { useCallback } from 'react';
import { navigate, useLocation } from '../app/router';
import { paths } from '../app/routes';
import { useWorkspace } from '../app/workspace';
import { CreateTaskForm } from '../tasks/CreateTaskForm';
import { filtersToSearch, parseFilters, type TaskFilters } from '../tasks/filters';
import { TaskFilterBar } from '../tasks/TaskFilterBar';
import { TaskList } from '../tasks/TaskList';

/** The task list with its filters (kept in the query string, so links and the back button
 * keep them) and the "Create task" form. */
export function TasksPage() {
  const workspace = useWorkspace();
  const { search } = useLocation();
  const filters = parseFilters(search);
  const setFilters = useCallback(
    (patch: Partial<TaskFilters>) => {
      const next = { ...parseFilters(window.location.search), ...patch };
      navigate(paths.tasks(workspace.slug, filtersToSearch(next)), { replace: true });
    },
    [workspace.slug],
  );
  return (
    <>
      <h1>Tasks</h1>
      <div className="tasks-layout">
        <div className="tasks-main">
          <TaskFilterBar filters={filters} onChange={setFilters} />
          <TaskList
            filters={filters}
            filtered={filtersToSearch({ ...filters, sort: 'created', order: 'desc' }) !== ''}
          />
        </div>
        <aside className="tasks-side">
          <CreateTaskForm defaultProjectId={filters.project} />
        </aside>
      </div>
    </>
  );
}
