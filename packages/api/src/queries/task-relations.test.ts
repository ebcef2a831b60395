import { testDatabaseDialect } from '@trellis/db/testing';
import { CompiledQuery, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { type TaskListInput, taskListInput } from '../routers/tasks-list.js';
import { type Harness, harnessForEachTest } from '../test/harness.js';
import { fillNeighbourWorkspace, postgresPlan, seqScansOf } from '../test/postgres-plans.js';
import { START, taskFixtures } from '../test/task-fixtures.js';
import { relationsOf } from './task-relations.js';
import { buildTaskListQuery } from './tasks-list.js';

// relationsOf from both sides, and the plan of tasks.list's `blocked` filter: it reads
// task_relations through task_relations_other_idx, never by scanning the table.

let harness: Harness;
harnessForEachTest(START, (current) => {
  harness = current;
});
const { team } = taskFixtures(() => harness);

/** A team's workspace where ENG-1 blocks ENG-2 and ENG-3, ENG-3 relates to ENG-2. */
async function blockingWorld() {
  const built = await team();
  const { owner, projectId } = built;
  const make = (title: string) => owner.api.tasks.create({ projectId, title });
  const tasks = [await make('One'), await make('Two'), await make('Three'), await make('Four')];
  const [one, two, three] = tasks as [(typeof tasks)[0], (typeof tasks)[0], (typeof tasks)[0]];
  await owner.api.tasks.relations.add({ taskId: one.id, type: 'blocks', otherTaskId: two.id });
  await owner.api.tasks.relations.add({ taskId: one.id, type: 'blocks', otherTaskId: three.id });
  await owner.api.tasks.relations.add({ taskId: three.id, type: 'relates', otherTaskId: two.id });
  await owner.api.tasks.relations.add({
    taskId: two.id,
    type: 'duplicates',
    otherTaskId: three.id,
  });
  return { ...built, tasks };
}

const refOf = (task: { id: string; key: string; title: string; status: string }) => ({
  id: task.id,
  key: task.key,
  title: task.title,
  status: task.status,
});

describe('relationsOf', () => {
  it('lists a task’s relations from both sides, oldest first', async () => {
    const { workspaceId, tasks } = await blockingWorld();
    const [one, two, three, four] = tasks.map(refOf);
    expect(await relationsOf(harness.db, workspaceId, one?.id ?? '')).toEqual({
      blocks: [two, three],
      blockedBy: [],
      relates: [],
      duplicates: [],
      duplicatedBy: [],
    });
    expect(await relationsOf(harness.db, workspaceId, two?.id ?? '')).toEqual({
      blocks: [],
      blockedBy: [one],
      relates: [three],
      duplicates: [three],
      duplicatedBy: [],
    });
    expect(await relationsOf(harness.db, workspaceId, three?.id ?? '')).toEqual({
      blocks: [],
      blockedBy: [one],
      relates: [two],
      duplicates: [],
      duplicatedBy: [two],
    });
    const empty = { blocks: [], blockedBy: [], relates: [], duplicates: [], duplicatedBy: [] };
    expect(await relationsOf(harness.db, workspaceId, four?.id ?? '')).toEqual(empty);
    // Another workspace sees nothing of them.
    expect(await relationsOf(harness.db, 'elsewhere', one?.id ?? '')).toEqual(empty);
  });
});

/** tasks.list inputs with the blocked filter, for every sort and order. */
function blockedInputs(workspaceId: string): TaskListInput[] {
  return (['created', 'updated', 'priority', 'due'] as const).flatMap((sort) =>
    (['asc', 'desc'] as const).flatMap((order) =>
      [true, false].map((blocked) => taskListInput.parse({ workspaceId, blocked, sort, order })),
    ),
  );
}

describe.runIf(testDatabaseDialect() === 'sqlite')('the blocked filter’s plan on SQLite', () => {
  it('looks up what blocks each task through task_relations_other_idx', async () => {
    const { workspaceId } = await blockingWorld();
    for (const input of blockedInputs(workspaceId)) {
      const query = buildTaskListQuery(harness.db, workspaceId, input);
      if (!query) throw new Error('no query for this input');
      const { sql: text, parameters } = query.compile();
      const plan = (
        await harness.db.executeQuery<{ detail: string }>(
          CompiledQuery.raw(`explain query plan ${text}`, [...parameters]),
        )
      ).rows.map((row) => row.detail);
      const onRelations = plan.filter((line) => /\btask_relations\b/.test(line));
      expect(onRelations, plan.join(' | ')).toEqual([
        expect.stringMatching(
          /^SEARCH task_relations USING (COVERING )?INDEX task_relations_other_idx/,
        ),
      ]);
    }
  });
});

describe.runIf(testDatabaseDialect() === 'postgres')(
  'the blocked filter’s plan on PostgreSQL',
  () => {
    it('never scans task_relations, beside a neighbour with 2,999 relations', async () => {
      const { workspaceId, owner } = await blockingWorld();
      const neighbour = await fillNeighbourWorkspace(harness.db, owner.user.id);
      // A chain: task n blocks task n+1.
      await sql`
      insert into task_relations (workspace_id, task_id, other_task_id, type, created_at)
      select ${neighbour}, ${neighbour} || '-' || n, ${neighbour} || '-' || (n + 1), 'blocks',
             '2030-01-01T00:00:00.000Z'
      from generate_series(1, 2999) as n`.execute(harness.db);
      await sql`analyze task_relations`.execute(harness.db);
      for (const input of blockedInputs(workspaceId)) {
        const query = buildTaskListQuery(harness.db, workspaceId, input);
        if (!query) throw new Error('no query for this input');
        const nodes = await postgresPlan(harness.db, query.compile());
        expect(seqScansOf(nodes, 'task_relations')).toEqual([]);
        expect(seqScansOf(nodes, 'tasks')).toEqual([]);
      }
    });
  },
);
