import { importedReminderMarkers } from '@trellis/api';
import {
  type ActivityTable,
  type CommentsTable,
  type NewTask,
  newId,
  type TaskStatus,
} from '@trellis/db';
import type { Insertable } from 'kysely';
import {
  commentBody,
  type Random,
  taskDescription,
  taskLabels,
  taskTitle,
  weighted,
} from './seed-data.js';

// The rows of the demo workspace, made in memory so that `pnpm seed` can insert them in
// a few large statements. Tasks are created over the SPAN_MS before now, in time order.

const MINUTE_MS = 60 * 1000;
const DAY_MS = 24 * 60 * MINUTE_MS;
/** How far back the demo history reaches. */
export const SPAN_MS = 90 * DAY_MS;
const iso = (ms: number) => new Date(ms).toISOString();

/** Picks a status that older tasks are more likely to have finished. */
function statusFor(random: Random, ageFraction: number): TaskStatus {
  const u = random.next();
  const done = 0.1 + 0.6 * ageFraction;
  if (u < done) return 'done';
  if (u < done + 0.05) return 'canceled';
  return weighted(random, [
    { status: 'backlog' as const, weight: 3 },
    { status: 'todo' as const, weight: 4 },
    { status: 'in_progress' as const, weight: 3 },
  ]).status;
}

/** Everything the demo workspace holds, as rows ready to insert (activity in time order). */
export function demoRows(
  random: Random,
  nowMs: number,
  workspaceId: string,
  projects: readonly {
    id: string;
    key: string;
    weight: number;
    /** The project's state for each status (its default states). */
    states: Readonly<Record<TaskStatus, string>>;
  }[],
  workers: readonly string[],
  taskCount: number,
) {
  const tasks: NewTask[] = [];
  const labels: { task_id: string; workspace_id: string; label: string }[] = [];
  const comments: Insertable<CommentsTable>[] = [];
  const activity: Omit<Insertable<ActivityTable>, 'seq' | 'workspace_seq'>[] = [];
  const numbers = new Map(projects.map((project) => [project.id, 0]));
  const createdTimes = Array.from({ length: taskCount }, () =>
    Math.floor(nowMs - SPAN_MS + random.next() * (SPAN_MS - MINUTE_MS)),
  ).sort((a, b) => a - b);
  for (const createdMs of createdTimes) {
    const project = weighted(random, projects);
    const number = (numbers.get(project.id) ?? 0) + 1;
    numbers.set(project.id, number);
    const ageMs = nowMs - createdMs;
    const status = statusFor(random, ageMs / SPAN_MS);
    const completedMs =
      status === 'done'
        ? createdMs + Math.floor(random.next() * Math.min(ageMs, 21 * DAY_MS))
        : null;
    const updatedMs =
      completedMs ?? createdMs + Math.floor(random.next() * Math.min(ageMs, 14 * DAY_MS));
    const dueMs = random.chance(0.45) ? createdMs + random.int(2, 40) * DAY_MS : null;
    const view = {
      id: newId(),
      workspaceId,
      projectId: project.id,
      number,
      key: `${project.key}-${number}`,
      title: taskTitle(random),
      description: taskDescription(random),
      status,
      stateId: project.states[status],
      priority: weighted(random, [
        { p: 0, weight: 15 },
        { p: 1, weight: 25 },
        { p: 2, weight: 35 },
        { p: 3, weight: 18 },
        { p: 4, weight: 7 },
      ]).p,
      assigneeId: random.chance(0.85) ? random.pick(workers) : null,
      labels: taskLabels(random),
      // Due at the end of a working day, UTC.
      dueAt: dueMs === null ? null : `${iso(dueMs).slice(0, 10)}T17:00:00.000Z`,
      version: 1,
      createdBy: random.pick(workers),
      createdAt: iso(createdMs),
      updatedAt: iso(updatedMs),
      completedAt: completedMs === null ? null : iso(completedMs),
    };
    tasks.push({
      id: view.id,
      workspace_id: workspaceId,
      project_id: project.id,
      number,
      title: view.title,
      description: view.description,
      status,
      state_id: view.stateId,
      priority: view.priority,
      assignee_id: view.assigneeId,
      due_at: view.dueAt,
      created_by: view.createdBy,
      created_at: view.createdAt,
      updated_at: view.updatedAt,
      completed_at: view.completedAt,
      // Made in the past all at once: what fell due before now counts as reminded, or a
      // server's first reminder pass would send tens of thousands of `overdue` at start.
      ...importedReminderMarkers(view.dueAt, iso(nowMs)),
    });
    for (const label of view.labels) {
      labels.push({ task_id: view.id, workspace_id: workspaceId, label });
    }
    const entry = { workspace_id: workspaceId, project_id: project.id, task_id: view.id };
    activity.push({
      ...entry,
      id: newId(),
      actor_id: view.createdBy,
      type: 'task.created',
      data: JSON.stringify({ task: view }),
      created_at: view.createdAt,
    });
    const commentCount = random.chance(0.35) ? random.int(1, 4) : 0;
    for (let i = 0; i < commentCount; i += 1) {
      const at = iso(createdMs + Math.floor(random.next() * ageMs));
      const comment = {
        id: newId(),
        workspace_id: workspaceId,
        task_id: view.id,
        author_id: random.pick(workers),
        body: commentBody(random),
        created_at: at,
        updated_at: at,
      };
      comments.push(comment);
      activity.push({
        ...entry,
        id: newId(),
        actor_id: comment.author_id,
        type: 'comment.created',
        data: JSON.stringify({ commentId: comment.id, taskId: view.id, excerpt: comment.body }),
        created_at: at,
      });
    }
  }
  // The log's order (seq, and the workspace's numbering) is the order things happened in.
  activity.sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0));
  const numbered = activity.map((entry, index) => ({ ...entry, workspace_seq: index + 1 }));
  return { tasks, labels, comments, activity: numbered, numbers };
}
