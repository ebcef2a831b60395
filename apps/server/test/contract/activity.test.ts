// The black-box contract of docs/api.md (../../../../docs/api.md) for activity.list, per task and per workspace.
// A real server on a loopback port, spoken to over raw HTTP: nothing here loads the API's
// code; the answers' types come from @trellis/client as types only.
import { beforeAll, describe, expect, it } from 'vitest';
import { accountsOn, type Team } from '../support/accounts.js';
import { serveThisFile } from '../support/http.js';
import {
  type ActivityEntry,
  type ActivityPage,
  type Comment,
  dataOf,
  expectError,
  expectFieldErrors,
  ISO_INSTANT,
  type Task,
} from '../support/wire.js';
import { expectInOrder, workOn } from '../support/work.js';

const wire = serveThisFile();
const { query, mutate } = wire;
const { makeTeam } = accountsOn(wire);
const { createProject, createTask } = workOn(wire);

describe('activity.list', () => {
  let team: Team;
  let task: Task;
  let updated: Task;
  let commented: Comment;
  beforeAll(async () => {
    team = await makeTeam();
    const project = await createProject(team.admin.token, team.workspaceId, 'ACT');
    task = await createTask(team.member.token, project.id, { title: 'Logged' });
    updated = dataOf<Task>(
      await mutate(
        'tasks.update',
        { taskId: task.id, expectedVersion: 1, patch: { status: 'in_progress' } },
        { token: team.member.token },
      ),
    );
    commented = dataOf<Comment>(
      await mutate(
        'comments.create',
        { taskId: task.id, body: 'On it' },
        { token: team.member.token },
      ),
    );
  });

  it('lists a task’s entries newest first: comment.created, task.updated, task.created', async () => {
    const result = dataOf<ActivityPage>(
      await query(
        'activity.list',
        { workspaceId: team.workspaceId, taskId: task.id },
        { token: team.colleague.token },
      ),
    );

    expect(result.items.map((entry) => entry.type)).toEqual([
      'comment.created',
      'task.updated',
      'task.created',
    ]);
    expect(result.nextCursor).toBeNull();
    expectInOrder(
      result.items.map((entry) => entry.createdAt),
      'desc',
    );
    for (const entry of result.items) {
      expect(entry).toEqual({
        id: expect.any(String),
        type: entry.type,
        actor: { userId: team.member.user.id, name: team.member.user.name },
        apiTokenId: null,
        projectId: task.projectId,
        taskId: task.id,
        data: expect.any(Object),
        createdAt: expect.stringMatching(ISO_INSTANT),
      });
    }
    const [commentEntry, updateEntry, createEntry] = result.items;
    expect(createEntry?.data.task).toEqual(task);
    expect(updateEntry?.data.task).toEqual(updated);
    expect(updateEntry?.data.changes).toEqual({
      status: { from: 'todo', to: 'in_progress' },
      stateId: { from: task.stateId, to: updated.stateId },
    });
    expect(commentEntry?.data).toMatchObject({ commentId: commented.id });
  });

  it('the workspace log starts with the same entries, and pages by cursor to the same list', async () => {
    const input = { workspaceId: team.workspaceId };
    const whole = dataOf<ActivityPage>(
      await query('activity.list', { ...input, limit: 100 }, { token: team.owner.token }),
    );
    expect(whole.items.slice(0, 3).map((entry) => entry.type)).toEqual([
      'comment.created',
      'task.updated',
      'task.created',
    ]);
    expect(whole.items.map((entry) => entry.type)).toContain('project.created');

    const walked: ActivityEntry[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: ActivityPage = dataOf<ActivityPage>(
        await query(
          'activity.list',
          { ...input, limit: 2, ...(cursor === null ? {} : { cursor }) },
          { token: team.owner.token },
        ),
      );
      walked.push(...page.items);
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 100);

    expect(cursor).toBeNull();
    expect(walked).toEqual(whole.items);
  });

  it.each([
    'garbage',
    Buffer.from('act:0').toString('base64url'),
    Buffer.from('{}').toString('base64url'),
  ])('refuses the cursor %j with 400 and data.fieldErrors.cursor', async (cursor) => {
    expectFieldErrors(
      await query(
        'activity.list',
        { workspaceId: team.workspaceId, cursor },
        { token: team.owner.token },
      ),
      ['cursor'],
    );
  });

  it('answers an outsider 404, and shows them nothing of another workspace’s task', async () => {
    expectError(
      await query(
        'activity.list',
        { workspaceId: team.workspaceId },
        { token: team.outsider.token },
      ),
      404,
      'NOT_FOUND',
    );
    const theirs = dataOf<ActivityPage>(
      await query(
        'activity.list',
        { workspaceId: team.outsiderWorkspaceId, taskId: task.id },
        { token: team.outsider.token },
      ),
    );
    expect(theirs.items).toEqual([]);
  });
});
