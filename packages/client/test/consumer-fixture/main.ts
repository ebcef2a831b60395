// A program of its own, run by node against a real server after tsc compiled it: signs up,
// makes a workspace, a project and a task, lists, is refused a bad input and watches the
// live feed, printing one line for each.
import {
  type AppRouter,
  createClient,
  isTrellisError,
  type TaskChange,
  type TrellisClient,
  withIdempotencyKey,
} from '@trellis/client';
import { createTRPCClient, httpBatchLink } from '@trpc/client';

const url = process.env.TRELLIS_URL ?? 'http://localhost:3000';
const email = `consumer+${Date.now()}@example.com`;
const signUp = { email, password: 'correct horse battery staple', name: 'Ada' };
const { session } = await createClient({ url }).auth.signUp.mutate(signUp);

const trellis: TrellisClient = createClient({ url, token: session.token });
const slug = `acme-${Date.now()}`;
const workspace = await trellis.workspaces.create.mutate({ name: 'Acme', slug });
const workspaceId = workspace.id;
const project = await trellis.projects.create.mutate({ workspaceId, name: 'App', key: 'APP' });
const task = await trellis.tasks.create.mutate(
  { projectId: project.id, title: 'Ship it' },
  withIdempotencyKey(`ship-it-${Date.now()}`),
);
console.log(`created ${task.key}: ${task.title} (${task.status})`);

const page = await trellis.tasks.list.query({ workspaceId, status: ['todo'] });
console.log(`listed ${page.items.map((item) => item.key).join(', ')}`);

// tRPC's own client and link work as well, typed by the same router.
const headers = { authorization: `Bearer ${session.token}` };
const official = createTRPCClient<AppRouter>({
  links: [httpBatchLink({ url: `${url}/trpc`, headers })],
});
const fetched = await official.tasks.get.query({ taskId: task.id });
console.log(`official ${fetched.key}: ${fetched.title}`);

try {
  await trellis.tasks.create.mutate({ projectId: project.id, title: '' });
  console.log('accepted an empty title');
} catch (error) {
  if (!isTrellisError(error)) throw error;
  const fields = Object.keys(error.fieldErrors ?? {}).join(', ');
  console.log(`refused ${error.code} ${error.status} ${fields}`);
}

// Once the stream is open, create a task; stop when its event arrives.
const change = await new Promise<TaskChange>((resolve, reject) => {
  const watch = trellis.tasks.onChange.subscribe(
    { workspaceId },
    {
      onStarted: () => {
        trellis.tasks.create.mutate({ projectId: project.id, title: 'Watch it' }).catch(reject);
      },
      onData: (event) => {
        if (event.data.task.title !== 'Watch it') return;
        watch.unsubscribe();
        resolve(event);
      },
      onError: reject,
    },
  );
});
console.log(`live ${change.data.type} ${change.data.task.key}`);
