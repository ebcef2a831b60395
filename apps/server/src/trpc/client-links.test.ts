import type { AppRouter } from '@trellis/api';
import { createClient, isTrellisError, type TrellisClient } from '@trellis/client';
import {
  createTRPCClient,
  httpBatchLink,
  httpLink,
  type TRPCClient,
  TRPCClientError,
  type TRPCLink,
} from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HANDLERS, named } from '../../test/support/handlers.js';
import { startTestServer, type TestServer } from '../../test/support/server.js';
import { PASSWORD } from '../../test/support/wire.js';
import type { TrpcHandlerKind } from './index.js';

// tRPC's own client links, and @trellis/client, against the lean handler: what they see
// must be what they see from tRPC's own adapter.

/** Both servers' clock: the answers' timestamps must match too. */
const NOW = new Date('2031-05-06T07:08:09.000Z');
const servers = {} as Record<TrpcHandlerKind, TestServer>;

beforeAll(async () => {
  for (const handler of HANDLERS) {
    servers[handler] = await startTestServer({ trpcHandler: handler }, { clock: () => NOW });
  }
});

afterAll(async () => {
  for (const handler of HANDLERS) await servers[handler]?.close();
});

type LinkFactory = (url: string, token?: string) => TRPCLink<AppRouter>;

const LINKS: Record<'httpLink' | 'httpBatchLink', LinkFactory> = {
  httpLink: (url, token) =>
    httpLink<AppRouter>({ url, headers: token ? { authorization: `Bearer ${token}` } : {} }),
  httpBatchLink: (url, token) =>
    httpBatchLink<AppRouter>({
      url,
      maxItems: 50,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    }),
};

/** A scripted client session; returns what it saw, with this side's values named. */
async function clientStory(link: LinkFactory, server: TestServer, tag: string): Promise<unknown[]> {
  const url = `${server.url}/trpc`;
  const anonymous: TRPCClient<AppRouter> = createTRPCClient<AppRouter>({ links: [link(url)] });
  const seen: unknown[] = [];
  // Each outcome in the order the calls were made: concurrent calls may finish in any
  // order (on PostgreSQL they run on separate connections).
  const settle = async (promise: Promise<unknown>) => {
    const slot = seen.push(undefined) - 1;
    try {
      seen[slot] = { ok: await promise };
    } catch (error) {
      if (!(error instanceof TRPCClientError)) throw error;
      seen[slot] = { error: error.message, data: error.data as unknown };
    }
  };
  const email = `story-${tag}@example.com`;
  const signedUp = await anonymous.auth.signUp.mutate({ email, password: PASSWORD, name: 'Cli' });
  const token = signedUp.session.token;
  const values: Record<string, string> = { me: signedUp.user.id, meToken: token };
  const authed = createTRPCClient<AppRouter>({ links: [link(url, token)] });
  await settle(authed.auth.me.query());
  // Issued in one tick: one HTTP request through httpBatchLink, three through httpLink.
  await Promise.all([
    settle(authed.workspaces.list.query()),
    settle(authed.tasks.get.query({ taskId: 'missing-task-0000' })),
    settle(authed.auth.me.query()),
  ]);
  const created = await authed.workspaces.create.mutate({
    name: 'Mine',
    slug: `mine-${tag.toLowerCase()}`,
  });
  values.mine = created.id;
  await Promise.all([
    settle(authed.workspaces.update.mutate({ workspaceId: created.id, name: 'Ours' })),
    settle(authed.workspaces.create.mutate({ name: '', slug: 'BAD SLUG' })),
  ]);
  await settle(authed.workspaces.get.query({ workspaceId: created.id }));
  await settle(anonymous.auth.me.query());
  await settle(anonymous.auth.signIn.mutate({ email, password: 'wrong password entirely' }));
  return JSON.parse(named(JSON.stringify(seen), values)) as unknown[];
}

describe.each(Object.keys(LINKS) as (keyof typeof LINKS)[])('@trpc/client %s', (linkName) => {
  it('sees the same results and errors from both handlers', async () => {
    const lean = await clientStory(LINKS[linkName], servers.lean, linkName);
    const official = await clientStory(LINKS[linkName], servers.official, linkName);

    expect(lean).toEqual(official);
    expect(lean).toContainEqual({
      error: expect.stringContaining('Invalid input'),
      data: expect.objectContaining({ code: 'BAD_REQUEST', fieldErrors: expect.any(Object) }),
    });
    expect(lean).toContainEqual({
      error: expect.any(String),
      data: expect.objectContaining({ code: 'NOT_FOUND', path: 'tasks.get', httpStatus: 404 }),
    });
    expect(lean).toContainEqual({ ok: expect.objectContaining({ id: '<mine>', name: 'Ours' }) });
  });
});

describe('@trellis/client (httpBatchLink + httpSubscriptionLink) on the lean handler', () => {
  it('queries, mutates and receives a live change while the lean handler serves calls', async () => {
    const url = servers.lean.url;
    const signedUp = await createClient({ url }).auth.signUp.mutate({
      email: 'trellis-client@example.com',
      password: PASSWORD,
      name: 'Ada',
    });
    const client: TrellisClient = createClient({ url, token: signedUp.session.token });
    const workspace = await client.workspaces.create.mutate({ name: 'Acme', slug: 'acme' });
    const project = await client.projects.create.mutate({
      workspaceId: workspace.id,
      name: 'Core',
      key: 'CORE',
    });
    const created = await client.tasks.create.mutate({ projectId: project.id, title: 'First' });
    const [me, task] = await Promise.all([
      client.auth.me.query(),
      client.tasks.get.query({ taskId: created.id }),
    ]);
    expect(me.user.id).toBe(signedUp.user.id);
    expect(task.id).toBe(created.id);

    const changes: string[] = [];
    const received = new Promise<void>((resolve, reject) => {
      const subscription = client.tasks.onChange.subscribe(
        { workspaceId: workspace.id },
        {
          onStarted: () => {
            client.tasks.create.mutate({ projectId: project.id, title: 'Live' }).catch(reject);
          },
          onData: (event) => {
            changes.push(`${event.data.type}:${event.data.task.title}`);
            subscription.unsubscribe();
            resolve();
          },
          onError: reject,
        },
      );
    });
    await received;
    expect(changes).toEqual(['created:Live']);

    const error = await client.tasks.get.query({ taskId: 'missing-task-0000' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isTrellisError(error) && error.data?.code).toBe('NOT_FOUND');
  });
});
