// The React entry from the tarball: provider, hooks and query options, typed by the router.
import { QueryClient, useQuery } from '@tanstack/react-query';
import { createClient } from '@trellis/client';
import { createTrellisReact } from '@trellis/client/react';

const { TRPCProvider, useTRPC } = createTrellisReact();

function OpenTasks({ workspaceId }: { workspaceId: string }) {
  const trpc = useTRPC();
  const tasks = useQuery(trpc.tasks.list.queryOptions({ workspaceId, status: ['todo'] }));
  const wrong = useQuery(trpc.tasks.list.queryOptions({ workspaceId: 7 })); // expect-error: ids are strings
  return (
    <ul data-wrong={String(wrong.data)}>
      {tasks.data?.items.map((task) => (
        <li key={task.id}>{task.title}</li>
      ))}
    </ul>
  );
}

export function App() {
  const queryClient = new QueryClient();
  const trpcClient = createClient({ url: 'http://127.0.0.1:3000' });
  return (
    <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
      <OpenTasks workspaceId="w1" />
    </TRPCProvider>
  );
}
