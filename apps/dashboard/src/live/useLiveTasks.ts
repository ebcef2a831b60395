import { useQueryClient } from '@tanstack/react-query';
import type { TaskChange } from '@trellis/client';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useTRPC } from '../app/trpc';

/** How the live feed is doing, for the header's indicator. */
export type LiveStatus = 'connecting' | 'live' | 'offline';

/**
 * Follows `tasks.onChange` for the workspace and brings the cache up to date with each
 * change, whoever made it: the task itself is written into its detail query (only if
 * newer), lists, board, stats and activity are refetched. The client resumes from the
 * last event after a dropped connection, so nothing is missed.
 */
export function useLiveTasks(workspaceId: string): LiveStatus {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const subscription = useSubscription(
    trpc.tasks.onChange.subscriptionOptions(
      { workspaceId },
      {
        onData: (event: TaskChange) => {
          const { type, task } = event.data;
          const detailKey = trpc.tasks.get.queryKey({ taskId: task.id });
          if (type === 'deleted') {
            void queryClient.invalidateQueries({ queryKey: detailKey });
          } else {
            // The detail keeps its parent and sub-task summary; a change may move those of
            // other tasks (a parent's `children`), so open details are read again.
            queryClient.setQueryData(detailKey, (old) =>
              old && old.version <= task.version ? { ...old, ...task } : old,
            );
            void queryClient.invalidateQueries(trpc.tasks.get.pathFilter());
          }
          void queryClient.invalidateQueries(trpc.tasks.list.pathFilter());
          void queryClient.invalidateQueries(trpc.stats.pathFilter());
          void queryClient.invalidateQueries(trpc.activity.pathFilter());
        },
      },
    ),
  );
  if (subscription.status === 'pending') return 'live';
  if (subscription.status === 'error') return 'offline';
  return 'connecting';
}
