// What the tasks procedures' tests arrange and read back: a team with a project, API
// tokens, and the rows as stored (tasks, labels, the activity log, the number counter).

import { refuseInserts } from '@trellis/db/testing';
import { expect } from 'vitest';
import type { Harness } from './harness.js';
import type { SignedUp } from './teams.js';

/** When every tasks test's clock starts. */
export const START = new Date('2030-06-01T09:00:00.000Z');
export const MINUTE_MS = 60 * 1000;
/** The ISO time `minutes` after START. */
export const at = (minutes: number) =>
  new Date(START.getTime() + minutes * MINUTE_MS).toISOString();

/** The fixtures over the calling file's harness (`current` returns the running test's). */
export function taskFixtures(current: () => Harness) {
  /** A workspace with an admin, a member, a viewer and an outsider, and one project ENG. */
  async function team() {
    const harness = current();
    const owner = await harness.signUpUser('Olive Owner');
    const member = await harness.signUpUser('Mia Member');
    const viewer = await harness.signUpUser('Vic Viewer');
    const outsider = await harness.signUpUser('Otto Outsider');
    const workspace = await owner.api.workspaces.create({ name: 'Acme', slug: 'acme' });
    const workspaceId = workspace.id;
    await harness.addMember(workspaceId, member.user.id, 'member');
    await harness.addMember(workspaceId, viewer.user.id, 'viewer');
    const project = await owner.api.projects.create({
      workspaceId,
      name: 'Engineering',
      key: 'ENG',
    });
    return { owner, member, viewer, outsider, workspaceId, project, projectId: project.id };
  }

  /** An API token of the workspace, made by `owner`, and a caller using it. */
  async function apiToken(owner: SignedUp, workspaceId: string, scope: 'read' | 'write') {
    const { id, token } = await owner.api.apiTokens.create({ workspaceId, name: 'Bot', scope });
    return { id, api: current().as(token) };
  }

  /** The workspace's activity log as stored, oldest first, with `data` parsed. */
  async function activityOf(workspaceId: string) {
    const rows = await current()
      .db.selectFrom('activity')
      .select(['type', 'project_id', 'task_id', 'actor_id', 'api_token_id', 'data', 'created_at'])
      .where('workspace_id', '=', workspaceId)
      .orderBy('seq')
      .execute();
    return rows.map((row) => ({ ...row, data: JSON.parse(row.data) as Record<string, unknown> }));
  }

  /** The activity types logged for one task, oldest first. */
  async function taskEvents(workspaceId: string, taskId: string) {
    return (await activityOf(workspaceId))
      .filter((entry) => entry.task_id === taskId)
      .map((entry) => entry.type);
  }

  /** A task's row and labels as stored. */
  async function storedTask(taskId: string) {
    const { db } = current();
    const row = await db
      .selectFrom('tasks')
      .selectAll()
      .where('id', '=', taskId)
      .executeTakeFirst();
    const labels = await db
      .selectFrom('task_labels')
      .select('label')
      .where('task_id', '=', taskId)
      .orderBy('label')
      .execute();
    return row && { ...row, labels: labels.map(({ label }) => label) };
  }

  /** The project's next task number as stored. */
  async function nextNumber(projectId: string) {
    const row = await current()
      .db.selectFrom('projects')
      .select('next_task_number')
      .where('id', '=', projectId)
      .executeTakeFirstOrThrow();
    return row.next_task_number;
  }

  /** Makes every insert of an activity entry of `type` fail, as a broken log write would. */
  async function breakActivity(type: string) {
    await refuseInserts(current().db, 'activity', 'activity write failed', {
      column: 'type',
      value: type,
    });
  }

  return { team, apiToken, activityOf, taskEvents, storedTask, nextNumber, breakActivity };
}

/** What tasks.get answers for `task`, a top-level task without sub-tasks. */
export const asDetail = <T extends object>(task: T) => ({
  ...task,
  parent: null,
  children: { total: 0, done: 0 },
  relations: { blocks: [], blockedBy: [], relates: [], duplicates: [], duplicatedBy: [] },
  mentions: [],
  // Who watches is tested where watching is (routers/task-watchers.test.ts).
  watcherIds: expect.any(Array),
});
