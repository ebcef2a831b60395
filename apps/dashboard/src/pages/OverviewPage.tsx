import { useQuery } from '@tanstack/react-query';
import { messageOf } from '../app/errors';
import { Link } from '../app/router';
import { paths } from '../app/routes';
import { useTRPC } from '../app/trpc';
import { useWorkspace } from '../app/workspace';
import { DailyChart } from '../charts/DailyChart';
import { dailySeries } from '../charts/scale';
import { ErrorMessage, Loading } from '../forms/Alert';
import { PRIORITIES, STATUSES } from '../tasks/taskFields';

/** The workspace at a glance, from stats.overview (kept current by the live feed). */
export function OverviewPage() {
  const trpc = useTRPC();
  const workspace = useWorkspace();
  const stats = useQuery(trpc.stats.overview.queryOptions({ workspaceId: workspace.id }));
  return (
    <>
      <h1>{workspace.name}</h1>
      {stats.isPending ? <Loading /> : null}
      <ErrorMessage>{stats.isError ? messageOf(stats.error) : null}</ErrorMessage>
      {stats.data ? (
        <>
          <p className="totals">
            <span>{stats.data.totals.tasks} tasks</span>
            <span>{stats.data.totals.open} open</span>
            <span>{stats.data.totals.overdue} overdue</span>
          </p>
          {stats.data.totals.tasks === 0 ? (
            <p className="empty">
              No tasks yet. <Link to={paths.tasks(workspace.slug)}>Create the first one</Link>.
            </p>
          ) : null}
          <div className="grid">
            <section className="card">
              <h2 id="by-status">By status</h2>
              <ul className="counts">
                {STATUSES.map((status) => (
                  <li key={status}>
                    <span>{status}</span> <span>{stats.data.byStatus[status]}</span>
                  </li>
                ))}
              </ul>
            </section>
            <section className="card">
              <h2 id="by-priority">By priority</h2>
              <ul className="counts">
                {[...PRIORITIES].reverse().map((priority) => (
                  <li key={priority.value}>
                    <span>{priority.name}</span>{' '}
                    <span>
                      {stats.data.byPriority.find((row) => row.priority === priority.value)
                        ?.count ?? 0}
                    </span>
                  </li>
                ))}
              </ul>
            </section>
            <section className="card">
              <h2 id="by-assignee">Open per assignee</h2>
              {stats.data.openByAssignee.length === 0 ? (
                <p className="empty">No open tasks.</p>
              ) : (
                <ul className="counts">
                  {stats.data.openByAssignee.map((row) => (
                    <li key={row.assigneeId ?? 'unassigned'}>
                      <span>
                        {row.assigneeId === null ? 'Unassigned' : (row.name ?? 'Former member')}
                      </span>{' '}
                      <span>{row.count}</span>
                    </li>
                  ))}
                </ul>
              )}
            </section>
          </div>
          <section className="card">
            <h2 id="per-day">Created vs completed per day</h2>
            <DailyChart
              points={dailySeries(stats.data.createdPerDay, stats.data.completedPerDay)}
            />
          </section>
        </>
      ) : null}
    </>
  );
}
