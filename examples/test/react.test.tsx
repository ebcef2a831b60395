import { text } from 'node:stream/consumers';
import { QueryClient, QueryClientProvider, useSuspenseQuery } from '@tanstack/react-query';
import { createClient } from '@trellis/client';
import { createTrellisReact } from '@trellis/client/react';
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
});
