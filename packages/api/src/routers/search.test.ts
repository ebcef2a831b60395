import { newId } from '@trellis/db';
import { HOSTILE_SEARCH_TEXT } from '@trellis/db/testing';
import { describe, expect, it } from 'vitest';
import { fieldErrorsOf } from '../errors.js';
import { type Harness, harnessForEachTest, rejection, type TestClock } from '../test/harness.js';
import { insertProjectRow } from '../test/project-rows.js';

const START = new Date('2030-06-01T09:00:00.000Z');

let harness: Harness;
let clock: TestClock;

harnessForEachTest(START, (fresh, freshClock) => {
  harness = fresh;
  clock = freshClock;
});

/** Tasks are written directly: these tests are about finding them, not creating them. */
async function projectIn(workspaceId: string, createdBy: string, key = 'ENG') {
  const now = clock.now().toISOString();
  const projectId = newId();
  const states = await insertProjectRow(harness.db, {
    id: projectId,
    workspace_id: workspaceId,
    key,
    name: key,
    archived_at: null,
    created_at: now,
    updated_at: now,
  });
  let number = 0;
  return async (title: string, description = '') => {
    const id = newId();
    number += 1;
    await harness.db
      .insertInto('tasks')
      .values({
        id,
        workspace_id: workspaceId,
        project_id: projectId,
        number,
        title,
        description,
        status: 'todo',
        state_id: states.todo,
        priority: 2,
        assignee_id: null,
        due_at: null,
        created_by: createdBy,
        created_at: now,
        updated_at: now,
        completed_at: null,
      })
      .execute();
    return id;
  };
}

/** A workspace with its owner and a project to put tasks in. */
async function workspace(slug = 'acme') {
  const owner = await harness.signUpUser('Olive Owner');
  const space = await owner.api.workspaces.create({ name: slug, slug });
  const addTask = await projectIn(space.id, owner.user.id);
  const search = async (q: string, limit?: number) =>
    (await owner.api.search.tasks({ workspaceId: space.id, q, limit })).items;
  const idsFor = async (q: string) => (await search(q)).map((hit) => hit.task.id);
  return { owner, workspaceId: space.id, addTask, search, idsFor };
}

describe('search.tasks', () => {
  it('finds tasks by words of their title, description and comments', async () => {
    const { owner, addTask, search, idsFor } = await workspace();
    const byTitle = await addTask('Rotate the signing keys');
    const byDescription = await addTask('Quarterly chores', 'Remember the firewall audit');
    const byComment = await addTask('Release notes');
    await owner.api.comments.create({ taskId: byComment, body: 'Mention the telemetry opt-out' });
    await addTask('Unrelated', 'nothing to see');

    expect(await idsFor('signing')).toEqual([byTitle]);
    expect(await idsFor('firewall')).toEqual([byDescription]);
    expect(await idsFor('telemetry')).toEqual([byComment]);
    // Every word must be there, in any column.
    expect(await idsFor('release telemetry')).toEqual([byComment]);
    expect(await idsFor('signing telemetry')).toEqual([]);

    const [hit] = await search('telemetry');
    expect(hit?.task).toMatchObject({ id: byComment, key: 'ENG-3', title: 'Release notes' });
    expect(hit?.rank).toBeGreaterThan(0);
    expect(hit?.snippet).toBe('Mention the telemetry opt-out');
  });

  it('shows a dozen words around a match in a long text, marking the cuts with …', async () => {
    const { addTask, search } = await workspace();
    const words = Array.from({ length: 40 }, (_, i) => `w${i}`);
    words[20] = 'telemetry';
    await addTask('Long one', words.join(' '));
    await addTask('Starts well', `Telemetry first, then ${words.slice(0, 19).join(' ')}`);
    const snippets = (await search('telemetry')).map((hit) => hit.snippet).sort();
    expect(snippets).toEqual([
      'Telemetry first, then w0 w1 w2 w3 w4 w5 w6 w7 w8…',
      '…w15 w16 w17 w18 w19 telemetry w21 w22 w23 w24 w25 w26…',
    ]);
  });

  it('matches the beginnings of words', async () => {
    const { addTask, idsFor } = await workspace();
    const task = await addTask('Deployment pipeline', 'Production rollout');
    expect(await idsFor('deplo')).toEqual([task]);
    expect(await idsFor('DEPLO prod')).toEqual([task]);
    // Prefixes, not infixes.
    expect(await idsFor('ployment')).toEqual([]);
  });

  it('ranks a title match above a description match above a comment-only match', async () => {
    const { owner, addTask, search } = await workspace();
    // Created in reverse, so that insertion order cannot pass for ranking; and the
    // shorter the task, the weaker its column: unweighted bm25 would rank them backwards.
    const inComment = await addTask('Backlog');
    await owner.api.comments.create({ taskId: inComment, body: 'zephyr idea' });
    const inDescription = await addTask('Wiki', 'The zephyr idea pages');
    const inTitle = await addTask('The zephyr idea', 'Tidy the pages before Friday');
    const hits = await search('zephyr');
    expect(hits.map((hit) => hit.task.id)).toEqual([inTitle, inDescription, inComment]);
    const [first, second, third] = hits.map((hit) => hit.rank);
    expect(first).toBeGreaterThan(second ?? Number.POSITIVE_INFINITY);
    expect(second).toBeGreaterThan(third ?? Number.POSITIVE_INFINITY);
  });

  it("never returns another workspace's tasks, even when they match better", async () => {
    const mine = await workspace('mine');
    const theirs = await workspace('theirs');
    const myTask = await mine.addTask('Weekly sync', 'about the kraken');
    const theirTasks = [
      await theirs.addTask('Kraken kraken kraken'),
      await theirs.addTask('Kraken release', 'kraken kraken'),
    ];
    // limit 1: the workspace filter must apply before the limit, not after.
    expect((await mine.search('kraken', 1)).map((hit) => hit.task.id)).toEqual([myTask]);
    expect(await mine.idsFor('kraken')).toEqual([myTask]);
    expect((await theirs.idsFor('kraken')).sort()).toEqual([...theirTasks].sort());
  });

  it('is open to viewers and API tokens of the workspace, NOT_FOUND to everyone else', async () => {
    const { owner, workspaceId, addTask } = await workspace();
    const task = await addTask('Kraken');
    const viewer = await harness.signUpUser('Vera Viewer');
    await harness.addMember(workspaceId, viewer.user.id, 'viewer');
    const readToken = await owner.api.apiTokens.create({ workspaceId, name: 'r', scope: 'read' });
    for (const api of [viewer.api, harness.as(readToken.token)]) {
      const { items } = await api.search.tasks({ workspaceId, q: 'kraken' });
      expect(items.map((hit) => hit.task.id)).toEqual([task]);
    }
    const other = await workspace('other');
    const otherToken = await other.owner.api.apiTokens.create({
      workspaceId: other.workspaceId,
      name: 'r',
      scope: 'read',
    });
    for (const api of [other.owner.api, harness.as(otherToken.token)]) {
      const error = await rejection(api.search.tasks({ workspaceId, q: 'kraken' }));
      expect(error.code).toBe('NOT_FOUND');
    }
  });

  it('follows edits: renamed titles, edited and deleted comments, deleted tasks', async () => {
    const { owner, addTask, idsFor } = await workspace();
    const task = await addTask('Migrate the quokka service', 'Move it');
    await harness.db
      .updateTable('tasks')
      .set({ title: 'Migrate the wombat service' })
      .where('id', '=', task)
      .execute();
    expect(await idsFor('quokka')).toEqual([]);
    expect(await idsFor('wombat')).toEqual([task]);

    const comment = await owner.api.comments.create({
      taskId: task,
      body: 'Ask the platypus team',
    });
    expect(await idsFor('platypus')).toEqual([task]);
    await owner.api.comments.update({ commentId: comment.id, body: 'Ask the echidna team' });
    expect(await idsFor('platypus')).toEqual([]);
    expect(await idsFor('echidna')).toEqual([task]);
    await owner.api.comments.delete({ commentId: comment.id });
    expect(await idsFor('echidna')).toEqual([]);
    expect(await idsFor('wombat')).toEqual([task]);

    await harness.db.deleteFrom('tasks').where('id', '=', task).execute();
    expect(await idsFor('wombat')).toEqual([]);
  });

  it('keeps every comment and edit searchable when they are written at the same time', async () => {
    // On PostgreSQL each comment's trigger rebuilds the task's document from all its
    // comments: two transactions at once must not each write a list missing the other's.
    const { owner, addTask, idsFor } = await workspace();
    const task = await addTask('Shared task', 'Many hands');
    const words = Array.from({ length: 12 }, (_, i) => `marmot${String.fromCharCode(97 + i)}`);
    await Promise.all([
      ...words.map((word) => owner.api.comments.create({ taskId: task, body: `See ${word}` })),
      harness.db
        .updateTable('tasks')
        .set({ title: 'Shared capybara' })
        .where('id', '=', task)
        .execute(),
    ]);
    for (const word of [...words, 'capybara']) expect(await idsFor(word), word).toEqual([task]);
  });

  it('ignores diacritics and case', async () => {
    const { addTask, idsFor } = await workspace();
    const task = await addTask('Café crème for the Zürich office');
    for (const q of ['cafe', 'CAFÉ', 'creme', 'zurich', 'Zürich', 'cafe\u0301']) {
      expect(await idsFor(q)).toEqual([task]);
    }
  });

  it('answers at most `limit` results (20 by default) and bounds its input', async () => {
    const { owner, workspaceId, addTask, search } = await workspace();
    for (let i = 0; i < 25; i += 1) await addTask(`Chore ${i}`);
    expect(await search('chore')).toHaveLength(20);
    expect(await search('chore', 50)).toHaveLength(25);
    expect(await search('chore', 3)).toHaveLength(3);
    for (const [input, field] of [
      [{ q: '' }, 'q'],
      [{ q: 'x'.repeat(201) }, 'q'],
      [{ q: 'chore', limit: 0 }, 'limit'],
      [{ q: 'chore', limit: 51 }, 'limit'],
    ] as const) {
      const error = await rejection(owner.api.search.tasks({ workspaceId, ...input }));
      expect(error.code).toBe('BAD_REQUEST');
      expect(Object.keys(fieldErrorsOf(error.cause) ?? {})).toEqual([field]);
    }
  });
});

describe('search.tasks with hostile input', () => {
  it('answers every hostile string with results, never an error', async () => {
    const { workspaceId, owner, addTask, idsFor } = await workspace();
    const task = await addTask('Title x and a NEAR y', 'description with a, b and OR');
    for (const q of HOSTILE_SEARCH_TEXT) {
      const { items } = await owner.api.search.tasks({ workspaceId, q });
      expect(Array.isArray(items), q).toBe(true);
      for (const hit of items) expect(hit.task.workspaceId).toBe(workspaceId);
    }
    // The syntax is searched as words: `title:x` means the words "title" and "x".
    expect(await idsFor('title:x')).toEqual([task]);
    expect(await idsFor('NEAR(a b)')).toEqual([task]);
    expect(await idsFor('"unbalanced')).toEqual([]);
    expect(await harness.db.selectFrom('tasks').select('id').execute()).toHaveLength(1);
  });

  it('finds nothing for text without words', async () => {
    const { addTask, search } = await workspace();
    await addTask('Anything at all');
    for (const q of ['!!!', '   ', '🔥', '\u0000', '"*"']) {
      expect(await search(q)).toEqual([]);
    }
  });
});
