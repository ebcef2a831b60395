// Workflow states through the router with a real database: every project starts with the
// five default states; admins add, rename, reorder and remove them; tasks name a state by
// `stateId`, or by `status` where the project has exactly one state in its category.
import { describe, expect, it } from 'vitest';
import { fieldErrorsOf } from '../errors.js';
import { type Harness, harnessForEachTest, rejection, type TestClock } from '../test/harness.js';
import { MINUTE_MS, START, taskFixtures } from '../test/task-fixtures.js';

let harness: Harness;
let clock: TestClock;
harnessForEachTest(START, (fresh, freshClock) => {
  harness = fresh;
  clock = freshClock;
});
const { team, activityOf } = taskFixtures(() => harness);

const fieldErrors = async (promise: Promise<unknown>) => {
  const error = await rejection(promise);
  expect(error.code).toBe('BAD_REQUEST');
  return fieldErrorsOf(error.cause) ?? {};
};

describe('projects.states', () => {
  it("gives a new project today's five statuses as its states", async () => {
    const { viewer, projectId, workspaceId } = await team();
    const states = await viewer.api.projects.states.list({ projectId });
    expect(states.map((s) => [s.position, s.name, s.category])).toEqual([
      [1, 'Backlog', 'backlog'],
      [2, 'Todo', 'unstarted'],
      [3, 'In Progress', 'started'],
      [4, 'Done', 'completed'],
      [5, 'Canceled', 'canceled'],
    ]);
    expect(states.every((s) => s.projectId === projectId && s.workspaceId === workspaceId)).toBe(
      true,
    );
  });

  it("adds a state after its category's last one, or where asked, and refuses a taken name", async () => {
    const { owner, projectId } = await team();
    const review = await owner.api.projects.states.add({
      projectId,
      name: 'In Review',
      category: 'started',
    });
    expect(review).toMatchObject({ name: 'In Review', category: 'started', position: 4 });
    const icebox = await owner.api.projects.states.add({
      projectId,
      name: 'Icebox',
      category: 'backlog',
      position: 1,
    });
    expect(icebox.position).toBe(1);
    const names = (await owner.api.projects.states.list({ projectId })).map((s) => s.name);
    expect(names).toEqual([
      'Icebox',
      'Backlog',
      'Todo',
      'In Progress',
      'In Review',
      'Done',
      'Canceled',
    ]);

    const taken = await rejection(
      owner.api.projects.states.add({ projectId, name: 'in review', category: 'started' }),
    );
    expect(taken.code).toBe('CONFLICT');
    expect(
      Object.keys(
        await fieldErrors(
          owner.api.projects.states.add({
            projectId,
            name: 'Far',
            category: 'started',
            position: 9,
          }),
        ),
      ),
    ).toEqual(['position']);
    expect(
      Object.keys(
        await fieldErrors(
          owner.api.projects.states.add({
            projectId,
            name: 'Odd',
            // @ts-expect-error: not a category
            category: 'review',
          }),
        ),
      ),
    ).toEqual(['category']);
  });

  it('renames and reorders, recording state.updated with what changed', async () => {
    const { owner, projectId, workspaceId } = await team();
    const [backlog, todo, started, done, canceled] = await owner.api.projects.states.list({
      projectId,
    });
    if (!backlog || !todo || !started || !done || !canceled) throw new Error('five states');
    clock.advance(MINUTE_MS);
    const renamed = await owner.api.projects.states.rename({ stateId: todo.id, name: 'Ready' });
    expect(renamed).toMatchObject({ id: todo.id, name: 'Ready', category: 'unstarted' });

    const order = [todo, backlog, started, done, canceled].map((s) => s.id);
    const reordered = await owner.api.projects.states.reorder({ projectId, stateIds: order });
    expect(reordered.map((s) => [s.name, s.position])).toEqual([
      ['Ready', 1],
      ['Backlog', 2],
      ['In Progress', 3],
      ['Done', 4],
      ['Canceled', 5],
    ]);
    const log = (await activityOf(workspaceId)).filter((e) => e.type === 'state.updated');
    expect(log.map((e) => e.data.changes)).toEqual([
      { name: { from: 'Todo', to: 'Ready' } },
      { position: { from: 2, to: 1 } },
      { position: { from: 1, to: 2 } },
    ]);

    const partial = await fieldErrors(
      owner.api.projects.states.reorder({ projectId, stateIds: order.slice(1) }),
    );
    expect(Object.keys(partial)).toEqual(['stateIds']);
  });

  it('removes a state, moving its tasks as edits (version, status, completedAt, events)', async () => {
    const { owner, member, projectId, workspaceId } = await team();
    const review = await owner.api.projects.states.add({
      projectId,
      name: 'In Review',
      category: 'started',
    });
    const states = await owner.api.projects.states.list({ projectId });
    const done = states.find((s) => s.category === 'completed');
    if (!done) throw new Error('Done');
    const a = await member.api.tasks.create({ projectId, title: 'A', stateId: review.id });
    const b = await member.api.tasks.create({ projectId, title: 'B', stateId: review.id });
    expect(a).toMatchObject({ stateId: review.id, status: 'in_progress' });

    const needsTarget = await fieldErrors(owner.api.projects.states.remove({ stateId: review.id }));
    expect(Object.keys(needsTarget)).toEqual(['moveToStateId']);

    clock.advance(MINUTE_MS);
    const removed = await owner.api.projects.states.remove({
      stateId: review.id,
      moveToStateId: done.id,
    });
    expect(removed).toEqual({ ok: true, moved: 2 });
    for (const task of [a, b]) {
      const now = await member.api.tasks.get({ taskId: task.id });
      expect(now).toMatchObject({ stateId: done.id, status: 'done', version: 2 });
      expect(now.completedAt).toBe(new Date(START.getTime() + MINUTE_MS).toISOString());
    }
    const log = await activityOf(workspaceId);
    const moves = log.filter((e) => e.type === 'task.updated');
    expect(moves.map((e) => e.data.changes)).toEqual([
      { stateId: { from: review.id, to: done.id }, status: { from: 'in_progress', to: 'done' } },
      { stateId: { from: review.id, to: done.id }, status: { from: 'in_progress', to: 'done' } },
    ]);
    expect(
      log.at(-1)?.type === 'state.deleted' || log.some((e) => e.type === 'state.deleted'),
    ).toBe(true);
    expect((await owner.api.projects.states.list({ projectId })).map((s) => s.name)).toEqual([
      'Backlog',
      'Todo',
      'In Progress',
      'Done',
      'Canceled',
    ]);
    const gone = await rejection(
      owner.api.projects.states.rename({ stateId: review.id, name: 'X' }),
    );
    expect(gone.code).toBe('NOT_FOUND');
  });

  it('removes an empty state without a target; a target in another project is refused', async () => {
    const { owner, projectId, workspaceId } = await team();
    const other = await owner.api.projects.create({ workspaceId, name: 'Ops', key: 'OPS' });
    const [otherBacklog] = await owner.api.projects.states.list({ projectId: other.id });
    const [backlog] = await owner.api.projects.states.list({ projectId });
    if (!backlog || !otherBacklog) throw new Error('states');
    const wrong = await fieldErrors(
      owner.api.projects.states.remove({ stateId: backlog.id, moveToStateId: otherBacklog.id }),
    );
    expect(Object.keys(wrong)).toEqual(['moveToStateId']);
    expect(await owner.api.projects.states.remove({ stateId: backlog.id })).toEqual({
      ok: true,
      moved: 0,
    });
  });
});

describe('tasks and their states', () => {
  it('maps status to the only state of its category; refuses it once that is ambiguous', async () => {
    const { owner, member, projectId } = await team();
    const task = await member.api.tasks.create({ projectId, title: 'Work', status: 'in_progress' });
    const states = await member.api.projects.states.list({ projectId });
    const started = states.find((s) => s.category === 'started');
    expect(task.stateId).toBe(started?.id);

    await owner.api.projects.states.add({ projectId, name: 'In Review', category: 'started' });
    const ambiguous = await fieldErrors(
      member.api.tasks.create({ projectId, title: 'More', status: 'in_progress' }),
    );
    expect(ambiguous.status?.[0]).toMatch(
      /2 states in category started \(In Progress, In Review\)/,
    );
    const patch = await fieldErrors(
      member.api.tasks.update({
        taskId: task.id,
        expectedVersion: 1,
        patch: { status: 'in_progress' },
      }),
    );
    expect(Object.keys(patch)).toEqual(['patch.status']);
    // Statuses of other categories still map.
    const done = await member.api.tasks.update({
      taskId: task.id,
      expectedVersion: 1,
      patch: { status: 'done' },
    });
    expect(done.status).toBe('done');
  });

  it('refuses a state of another project, and a status that contradicts the state', async () => {
    const { owner, member, projectId, workspaceId } = await team();
    const other = await owner.api.projects.create({ workspaceId, name: 'Ops', key: 'OPS' });
    const [foreign] = await owner.api.projects.states.list({ projectId: other.id });
    const [backlog] = await owner.api.projects.states.list({ projectId });
    if (!foreign || !backlog) throw new Error('states');
    const wrong = await fieldErrors(
      member.api.tasks.create({ projectId, title: 'X', stateId: foreign.id }),
    );
    expect(Object.keys(wrong)).toEqual(['stateId']);
    const contradiction = await fieldErrors(
      member.api.tasks.create({ projectId, title: 'X', stateId: backlog.id, status: 'done' }),
    );
    expect(Object.keys(contradiction)).toEqual(['status']);
    const agreed = await member.api.tasks.create({
      projectId,
      title: 'X',
      stateId: backlog.id,
      status: 'backlog',
    });
    expect(agreed).toMatchObject({ stateId: backlog.id, status: 'backlog' });
  });

  it('puts a new task in the first unstarted state, and falls back to the first state', async () => {
    const { owner, member, projectId } = await team();
    const states = await owner.api.projects.states.list({ projectId });
    const todo = states.find((s) => s.category === 'unstarted');
    if (!todo) throw new Error('Todo');
    const a = await member.api.tasks.create({ projectId, title: 'A' });
    expect(a.stateId).toBe(todo.id);
    const first = states[0];
    if (!first) throw new Error('Backlog');
    await owner.api.projects.states.remove({ stateId: todo.id, moveToStateId: first.id });
    expect((await member.api.tasks.create({ projectId, title: 'B' })).stateId).toBe(first.id);
  });
});
