// tasks.get through the router with a real database: what it stores and logs, who may call it.
import { newId } from '@trellis/db';
import { describe, expect, it } from 'vitest';
import { fieldErrorsOf } from '../errors.js';
import { type Harness, harnessForEachTest, rejection } from '../test/harness.js';
import { asDetail, START, taskFixtures } from '../test/task-fixtures.js';

let harness: Harness;

harnessForEachTest(START, (fresh) => {
  harness = fresh;
});
const { team, apiToken } = taskFixtures(() => harness);

describe('tasks.get', () => {
  it('shows a task to viewers and read tokens', async () => {
    const { owner, member, viewer, workspaceId, projectId } = await team();
    const task = await member.api.tasks.create({ projectId, title: 'Visible' });
    const reader = await apiToken(owner, workspaceId, 'read');

    expect(await viewer.api.tasks.get({ taskId: task.id })).toEqual(asDetail(task));
    expect(await reader.api.tasks.get({ taskId: task.id })).toEqual(asDetail(task));
  });

  it('refuses an ID holding NUL or another control character as a field error', async () => {
    // PostgreSQL refuses NUL even as a query parameter: without this it would be a 500 there
    // and a NOT_FOUND on SQLite.
    const { member } = await team();
    for (const taskId of ['a\u0000b', '\u0000', 'tab\there']) {
      const error = await rejection(member.api.tasks.get({ taskId }));
      expect(error.code, taskId).toBe('BAD_REQUEST');
      expect(Object.keys(fieldErrorsOf(error.cause) ?? {})).toEqual(['taskId']);
    }
  });

  it('is NOT_FOUND for a task of another workspace, for people and tokens alike', async () => {
    const { member, projectId } = await team();
    const task = await member.api.tasks.create({ projectId, title: 'Private' });
    const stranger = await harness.signUpUser('Sam Stranger');
    const theirs = await stranger.api.workspaces.create({ name: 'Theirs', slug: 'theirs' });
    const theirToken = await apiToken(stranger, theirs.id, 'write');

    const byPerson = await rejection(stranger.api.tasks.get({ taskId: task.id }));
    const byToken = await rejection(theirToken.api.tasks.get({ taskId: task.id }));
    const unknown = await rejection(member.api.tasks.get({ taskId: newId() }));

    for (const error of [byPerson, byToken, unknown]) {
      expect([error.code, error.message]).toEqual(['NOT_FOUND', 'Task not found']);
    }
  });
});
