import { createClient } from '@trellis/client';

const { TRELLIS_URL: url = 'http://localhost:3000', TRELLIS_TOKEN: token } = process.env;
const { TRELLIS_WORKSPACE: workspaceId = '', TRELLIS_PROJECT: projectId = '' } = process.env;
const trellis = createClient({ url, token });

const { user } = await trellis.auth.me.query();
const status: ('backlog' | 'todo' | 'in_progress')[] = ['backlog', 'todo', 'in_progress'];
const open = await trellis.tasks.list.query({ workspaceId, assigneeId: user.id, status });
for (const task of open.items) console.log(`open ${task.key}: ${task.title}`);

// Watch live changes; once connected, create a task, and stop when its event arrives.
const title = `Try the live feed ${Date.now()}`;
const create = () => trellis.tasks.create.mutate({ projectId, title, assigneeId: user.id });
const watch = trellis.tasks.onChange.subscribe(
  { workspaceId },
  {
    onStarted: () => {
      create().catch((error: Error) => {
        console.error(error.message);
        watch.unsubscribe();
      });
    },
    onData: ({ data: { type, task } }) => {
      console.log(`${type} ${task.key}: ${task.title}`);
      if (task.title === title) watch.unsubscribe();
    },
    onError: (error) => console.error(error.message),
  },
);
