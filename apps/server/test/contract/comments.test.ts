// The black-box contract of docs/api.md (../../../../docs/api.md) for comments: create, list, update and delete.
// A real server on a loopback port, spoken to over raw HTTP: nothing here loads the API's
// code; the answers' types come from @trellis/client as types only.
import { beforeAll, describe, expect, it } from 'vitest';
import { accountsOn, type Team } from '../support/accounts.js';
import { serveThisFile } from '../support/http.js';
import {
  type Comment,
  type CommentPage,
  dataOf,
  expectError,
  expectFieldErrors,
  ISO_INSTANT,
  type Task,
} from '../support/wire.js';
import { ids, workOn } from '../support/work.js';

const wire = serveThisFile();
const { query, mutate } = wire;
const { makeTeam } = accountsOn(wire);
const { createProject, createTask } = workOn(wire);

describe('comments', () => {
  const HOSTILE_BODY = '<img src=x onerror=alert(1)>\n  x  ';
  let team: Team;
  let task: Task;
  beforeAll(async () => {
    team = await makeTeam();
    const project = await createProject(team.admin.token, team.workspaceId, 'COM');
    task = await createTask(team.member.token, project.id, { title: 'Talk about it' });
  });

  async function comment(token: string, body: string): Promise<Comment> {
    return dataOf<Comment>(await mutate('comments.create', { taskId: task.id, body }, { token }));
  }

  it('comments.create returns the body verbatim: no trimming, no HTML escaping', async () => {
    const reply = await mutate(
      'comments.create',
      { taskId: task.id, body: HOSTILE_BODY },
      { token: team.member.token },
    );

    const created = dataOf<Comment>(reply);
    expect(reply.text).toContain(JSON.stringify(HOSTILE_BODY));
    expect(reply.text).not.toContain('&lt;');
    expect(created).toEqual({
      id: expect.any(String),
      taskId: task.id,
      authorId: team.member.user.id,
      authorName: team.member.user.name,
      body: HOSTILE_BODY,
      createdAt: expect.stringMatching(ISO_INSTANT),
      updatedAt: created.createdAt,
      edited: false,
      mentions: [],
    });
    const listed = await query(
      'comments.list',
      { taskId: task.id },
      { token: team.colleague.token },
    );
    expect(listed.text).toContain(JSON.stringify(HOSTILE_BODY));
    expect(dataOf<CommentPage>(listed).items).toContainEqual(created);
  });

  it('comments.list answers the task’s comments oldest first, with cursor pages', async () => {
    const listTask = await createTask(team.member.token, task.projectId, { title: 'Listed' });
    const bodies = ['one', 'two', 'three', 'four', 'five'];
    const made: Comment[] = [];
    for (const body of bodies) {
      made.push(
        dataOf<Comment>(
          await mutate(
            'comments.create',
            { taskId: listTask.id, body },
            { token: team.member.token },
          ),
        ),
      );
    }

    const all = dataOf<CommentPage>(
      await query('comments.list', { taskId: listTask.id }, { token: team.owner.token }),
    );
    expect(all).toEqual({ items: made, nextCursor: null });

    const first = dataOf<CommentPage>(
      await query('comments.list', { taskId: listTask.id, limit: 3 }, { token: team.owner.token }),
    );
    expect(first.items).toEqual(made.slice(0, 3));
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = dataOf<CommentPage>(
      await query(
        'comments.list',
        { taskId: listTask.id, limit: 3, cursor: first.nextCursor },
        { token: team.owner.token },
      ),
    );
    expect(second).toEqual({ items: made.slice(3), nextCursor: null });
    expectFieldErrors(
      await query(
        'comments.list',
        { taskId: listTask.id, cursor: 'garbage' },
        { token: team.owner.token },
      ),
      ['cursor'],
    );
  });

  it('the author edits their comment: 200 with the new body, verbatim, marked edited', async () => {
    const created = await comment(team.member.token, 'first draft');

    const reply = await mutate(
      'comments.update',
      { commentId: created.id, body: '  second <b>draft</b>  ' },
      { token: team.member.token },
    );

    expect(dataOf<Comment>(reply)).toEqual({
      ...created,
      body: '  second <b>draft</b>  ',
      updatedAt: expect.stringMatching(ISO_INSTANT),
      edited: true,
    });
  });

  it('another member (and an admin) editing it is 403 FORBIDDEN, and the body stays', async () => {
    const created = await comment(team.member.token, 'my words');

    for (const other of [team.colleague, team.admin]) {
      expectError(
        await mutate(
          'comments.update',
          { commentId: created.id, body: 'your words' },
          { token: other.token },
        ),
        403,
        'FORBIDDEN',
      );
    }

    const listed = dataOf<CommentPage>(
      await query('comments.list', { taskId: task.id, limit: 100 }, { token: team.member.token }),
    );
    expect(listed.items).toContainEqual(created);
  });

  it('another member deleting it is 403; an admin deleting it is 200 and it is gone', async () => {
    const created = await comment(team.member.token, 'delete me');

    expectError(
      await mutate('comments.delete', { commentId: created.id }, { token: team.colleague.token }),
      403,
      'FORBIDDEN',
    );
    expect(
      dataOf(
        await mutate('comments.delete', { commentId: created.id }, { token: team.admin.token }),
      ),
    ).toBeDefined();

    const listed = dataOf<CommentPage>(
      await query('comments.list', { taskId: task.id, limit: 100 }, { token: team.member.token }),
    );
    expect(ids(listed.items)).not.toContain(created.id);
    expectError(
      await mutate(
        'comments.update',
        { commentId: created.id, body: 'back' },
        { token: team.member.token },
      ),
      404,
      'NOT_FOUND',
    );
  });

  it.each([
    ['an empty body', ''],
    ['a 10,001-character body', 'b'.repeat(10_001)],
  ])('refuses %s with 400 and data.fieldErrors.body', async (_label, body) => {
    expectFieldErrors(
      await mutate('comments.create', { taskId: task.id, body }, { token: team.member.token }),
      ['body'],
    );
  });

  it('accepts a 10,000-character body and returns all of it', async () => {
    const body = `${'b'.repeat(9_998)} \n`;

    expect((await comment(team.member.token, body)).body).toBe(body);
  });
});
