import { createClient, type RouterOutputs, type TrellisClient } from '@trellis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unique } from './support/accounts.js';
import { type ProcessGroup, signUpOn, startProcesses } from './support/processes.js';
import { expectInOrder } from './support/work.js';

// Time that agrees with the log: writers racing from two server processes into one
// workspace. Walked in log order, the entries' createdAt never goes back, and a task's
// updatedAt never goes back as its version goes up, whichever request started first and
// whichever writer waited for whom (the time is taken under the workspace's write lock).

type Task = RouterOutputs['tasks']['create'];
type Entry = RouterOutputs['activity']['list']['items'][number];

const TASKS = 8;
const UPDATES_PER_TASK = 6;
const COMMENTS = 40;
const CREATES = 24;

let group: ProcessGroup;

beforeAll(async () => {
  group = await startProcesses(2);
});

afterAll(async () => {
  const codes = await group?.stop();
  expect(codes).toEqual([0, 0]);
});

/** Every entry of the workspace's log, oldest first (the list pages newest first). */
async function wholeLog(client: TrellisClient, workspaceId: string): Promise<Entry[]> {
  const entries: Entry[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.activity.list.query({ workspaceId, cursor, limit: 100 });
    entries.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return entries.reverse();
}

describe('writers racing from two processes into one workspace', () => {
  it('leave entry times in log order, and task times in version order', async () => {
    const owner = await signUpOn(group.urls[0] as string, 'timekeeper');
    const clients = group.urls.map((url) => createClient({ url, token: owner.token }));
    const on = (i: number) => clients[i % clients.length] as TrellisClient;
    const workspace = await owner.client.workspaces.create.mutate({
      name: 'Race',
      slug: unique('race').toLowerCase(),
    });
    const workspaceId = workspace.id;
    const project = await owner.client.projects.create.mutate({
      workspaceId,
      name: 'Race',
      key: 'RACE',
    });
    const projectId = project.id;
    const tasks = await Promise.all(
      Array.from({ length: TASKS }, (_, i) =>
        on(i).tasks.create.mutate({ projectId, title: `Task ${i}` }),
      ),
    );

    // Every answer a task's writer got, by task id: each one version of the task.
    const answers = new Map<string, Task[]>(tasks.map((task) => [task.id, [task]]));
    /** One task's updates, each from the other process than the last, each on the last. */
    const updateChain = async (start: Task, chain: number) => {
      let task = start;
      for (let round = 0; round < UPDATES_PER_TASK; round += 1) {
        task = await on(chain + round).tasks.update.mutate({
          taskId: task.id,
          expectedVersion: task.version,
          patch: { title: `Task ${chain}, round ${round}`, priority: round % 5 },
        });
        answers.get(task.id)?.push(task);
      }
    };
    await Promise.all([
      ...tasks.map((task, chain) => updateChain(task, chain)),
      ...Array.from({ length: COMMENTS }, (_, i) =>
        on(i).comments.create.mutate({
          taskId: (tasks[i % TASKS] as Task).id,
          body: `Comment ${i}`,
        }),
      ),
      ...Array.from({ length: CREATES }, (_, i) =>
        on(i + 1).tasks.create.mutate({ projectId, title: `Late ${i}` }),
      ),
    ]);

    const log = await wholeLog(clients[1] as TrellisClient, workspaceId);
    const written = 1 + TASKS * (1 + UPDATES_PER_TASK) + COMMENTS + CREATES;
    expect(log).toHaveLength(written);
    expectInOrder(
      log.map((entry) => entry.createdAt),
      'asc',
    );
    for (const versions of answers.values()) {
      expect(versions.map((task) => task.version)).toEqual(
        Array.from({ length: 1 + UPDATES_PER_TASK }, (_, i) => i + 1),
      );
      expectInOrder(
        versions.map((task) => task.updatedAt),
        'asc',
      );
    }
    // The entry's time is the change's: a task event carries the task as written.
    for (const entry of log.filter((e) => e.type === 'task.updated')) {
      expect((entry.data.task as Task).updatedAt).toBe(entry.createdAt);
    }
  });
});
