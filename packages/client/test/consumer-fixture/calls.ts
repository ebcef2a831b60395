// Compiles only if @trellis/client's published types are the router's real types. Lines
// marked `expect-error` must each fail to compile; no other line may.
import {
  type AppRouter,
  createClient,
  isTrellisError,
  type RouterOutputs,
  type TrellisWebhookEvent,
  verifyWebhook,
  withIdempotencyKey,
} from '@trellis/client';
import { createTRPCClient, httpBatchLink } from '@trpc/client';

const client = createClient({ url: 'http://127.0.0.1:3000', token: 'trl_example' });

export async function openTaskTitles(workspaceId: string): Promise<string[]> {
  const page = await client.tasks.list.query({ workspaceId, status: ['todo'] });
  return page.items.map((task) => task.title);
}

export async function create(projectId: string, signal: AbortSignal) {
  const task = await client.tasks.create.mutate(
    { projectId, title: 'Write the docs' },
    { ...withIdempotencyKey('create-docs'), signal },
  );
  const number: number = task.number;
  return number;
}

export function describe(error: unknown): string {
  if (!isTrellisError(error)) return 'not a Trellis error';
  const fields = Object.keys(error.fieldErrors ?? {}).join(', ');
  return `${error.code ?? 'NETWORK'} ${error.status ?? ''} ${fields}`;
}

export type Task = RouterOutputs['tasks']['get'];

// tRPC's own client and links, typed by the router from the tarball (one tRPC, the caller's).
const official = createTRPCClient<AppRouter>({
  links: [httpBatchLink({ url: 'http://127.0.0.1:3000/trpc' })],
});

export async function officialTitles(workspaceId: string): Promise<string[]> {
  const page = await official.tasks.list.query({ workspaceId });
  return page.items.map((task) => task.title);
}

export async function wrong(workspaceId: string) {
  await client.tasks.list.query({ workspaceId: 42 }); // expect-error: ids are strings
  await client.tasks.list.query({ workspaceId, status: ['someday'] }); // expect-error: no such status
  await client.tasks.rename.mutate({ workspaceId }); // expect-error: no such procedure
  await client.tasks.list.mutate({ workspaceId }); // expect-error: a query is not a mutation
  const page = await client.tasks.list.query({ workspaceId });
  const title: number = page.items[0]?.title ?? 0; // expect-error: titles are strings
  const code: 'TEAPOT' = isTrellisError(page) ? page.code : 'TEAPOT'; // expect-error: not a code
  return [title, code];
}

export function received(secret: string, headers: Record<string, string>, body: string) {
  const event: TrellisWebhookEvent = verifyWebhook(secret, headers, body);
  if (event.type === 'task.updated') return `${event.data.key}: ${Object.keys(event.changes)}`;
  if (event.type === 'task.created') return event.changes; // expect-error: only updates carry changes
  return event.type;
}
