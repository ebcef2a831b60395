import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { messageOf } from '../app/errors';
import { useTRPC, useTRPCClient } from '../app/trpc';
import { useWorkspace } from '../app/workspace';
import { ErrorMessage, Loading } from '../forms/Alert';
import { listInput, type TaskFilters } from './filters';
import { TaskRow } from './TaskRow';
import { useSentinel } from './useSentinel';
import { useMembers } from './useWorkspaceData';

const PAGE_SIZE = 25;

/** The tasks matching `filters`, a page at a time: the next page loads when the end of the
 * list scrolls into view, or with "Load more" (for keyboards and screen readers). */
export function TaskList({ filters, filtered }: { filters: TaskFilters; filtered: boolean }) {
  const trpc = useTRPC();
  const workspace = useWorkspace();
  const members = useMembers();
  const client = useTRPCClient();
  const input = listInput(workspace.id, filters, PAGE_SIZE);
  // Not `infiniteQueryOptions`: tRPC adds `direction` to its input, which the API's strict
  // schemas refuse. Same cache key, so invalidating tasks.list still reaches it.
  const tasks = useInfiniteQuery({
    queryKey: trpc.tasks.list.infiniteQueryKey(input),
    queryFn: ({ pageParam, signal }) =>
      client.tasks.list.query(pageParam ? { ...input, cursor: pageParam } : input, { signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.nextCursor,
    placeholderData: keepPreviousData,
  });
  const canLoadMore = tasks.hasNextPage && !tasks.isFetchingNextPage;
  const sentinel = useSentinel<HTMLDivElement>(() => {
    if (canLoadMore) void tasks.fetchNextPage();
  }, canLoadMore);
  const items = tasks.data?.pages.flatMap((page) => page.items) ?? [];
  const nameOf = (id: string | null) =>
    id === null ? undefined : (members.data?.find((m) => m.userId === id)?.name ?? 'Someone');

  if (tasks.isPending) return <Loading what="Loading tasks…" />;
  if (tasks.isError && !tasks.isFetchNextPageError) {
    return <ErrorMessage>{messageOf(tasks.error)}</ErrorMessage>;
  }
  return (
    <section aria-busy={tasks.isFetching}>
      <h2 id="task-list-title">
        {filtered ? 'Matching tasks' : 'All tasks'}{' '}
        <span className="muted">
          ({items.length}
          {tasks.hasNextPage ? '+' : ''})
        </span>
      </h2>
      {items.length === 0 ? (
        <p className="empty">{filtered ? 'No tasks match these filters.' : 'No tasks yet.'}</p>
      ) : (
        <ul className="task-list">
          {items.map((task) => (
            <TaskRow key={task.id} task={task} assignee={nameOf(task.assigneeId)} />
          ))}
        </ul>
      )}
      {tasks.isFetchNextPageError ? <ErrorMessage>{messageOf(tasks.error)}</ErrorMessage> : null}
      {tasks.hasNextPage ? (
        <>
          <div ref={sentinel} className="sentinel" aria-hidden="true" />
          <button
            type="button"
            className="secondary"
            disabled={tasks.isFetchingNextPage}
            onClick={() => void tasks.fetchNextPage()}
          >
            {tasks.isFetchingNextPage ? 'Loading more…' : 'Load more'}
          </button>
        </>
      ) : null}
    </section>
  );
}
