import { createClient } from '@trellis/client';

const { TRELLIS_URL: url = 'http://localhost:3000', TRELLIS_TOKEN: token } = process.env;
const { TRELLIS_WORKSPACE: workspaceId = '', TRELLIS_PROJECT: projectId = '' } = process.env;
const trellis = createClient({ url, token });

const { user } = await trellis.auth.me.query();
const status: ('backlog' | 'todo' | 'in_progress')[] = ['backlog', 'todo', 'in_progress'];
const open = await trellis.tasks.list.query({ workspaceId, assigneeId: user.id, status });
for (const task of open.items) console.log(`open ${task.key}: ${task.title}`);

// Watch live changes, create a task, and stop when its event arrives. No need to wait for
// the stream to open: calls made after subscribe() are sent once it is, so the event of
// this create cannot be missed.
const title = `Try the live feed ${Date.now()}`;
const watch = trellis.tasks.onChange.subscribe(
  { workspaceId },
  {
    onData: ({ data: { type, task } }) => {
      console.log(`${type} ${task.key}: ${task.title}`);
      if (task.title === title) watch.unsubscribe();
    },
    onError: (error) => console.error(error.message),
  },
);
trellis.tasks.create.mutate({ projectId, title, assigneeId: user.id }).catch((error: Error) => {
  console.error(error.message);
  watch.unsubscribe();
});
