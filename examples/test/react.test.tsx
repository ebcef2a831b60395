import { text } from 'node:stream/consumers';
import { QueryClient, QueryClientProvider, useSuspenseQuery } from '@tanstack/react-query';
import { createClient } from '@trellis/client';
import { createTrellisReact } from '@trellis/client/react';
import { createTRPCOptionsProxy } from '@trpc/tanstack-react-query';
import { prerenderToNodeStream } from 'react-dom/static';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './server.js';
import { signUpWithProject } from './users.js';

// The React entry without a browser: React's static prerender waits for suspended
// queries, so the HTML holds what the hooks fetched from the real server.

const { TRPCProvider, useTRPC } = createTrellisReact();

function TaskTitles({ workspaceId }: { workspaceId: string }) {
  const trpc = useTRPC();
  const { data } = useSuspenseQuery(
    trpc.tasks.list.queryOptions({ workspaceId, sort: 'created', order: 'asc' }),
  );
  return (
    <ul>
      {data.items.map((task) => (
        <li key={task.id}>{`${task.key} ${task.title}`}</li>
      ))}
    </ul>
  );
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe('@trellis/client/react', () => {
  it('renders tasks fetched through useTRPC query options', async () => {
    const { client, token, workspace, project } = await signUpWithProject(server.url);
    await client.tasks.create.mutate({ projectId: project.id, title: 'Render me' });
    await client.tasks.create.mutate({ projectId: project.id, title: 'Me too' });
    const queryClient = new QueryClient();

    const { prelude } = await prerenderToNodeStream(
      <QueryClientProvider client={queryClient}>
        <TRPCProvider
          trpcClient={createClient({ url: server.url, token })}
          queryClient={queryClient}
        >
          <TaskTitles workspaceId={workspace.id} />
        </TRPCProvider>
      </QueryClientProvider>,
    );

    expect(await text(prelude)).toBe('<ul><li>APP-1 Render me</li><li>APP-2 Me too</li></ul>');
  });

  it('pages tasks.list with infiniteQueryOptions, which sends `direction` beside `cursor`', async () => {
    const { client, token, workspace, project } = await signUpWithProject(server.url);
    for (const title of ['one', 'two', 'three']) {
      await client.tasks.create.mutate({ projectId: project.id, title });
    }
    const queryClient = new QueryClient();
    const trpc = createTRPCOptionsProxy({
      client: createClient({ url: server.url, token }),
      queryClient,
    });
    const options = trpc.tasks.list.infiniteQueryOptions(
      { workspaceId: workspace.id, sort: 'created', order: 'asc', limit: 2 },
      { getNextPageParam: (page) => page.nextCursor },
    );

    await queryClient.fetchInfiniteQuery(options);
    const pages = await queryClient.fetchInfiniteQuery({ ...options, pages: 2 });

    expect(pages.pages.flatMap((page) => page.items.map((task) => task.title))).toEqual([
      'one',
      'two',
      'three',
    ]);
  });
});
