import type { RouterOutputs } from '@trellis/client';

/** A task as the API returns it. */
/** A task as every procedure answers it (lists, updates, live changes). */
export type Task = RouterOutputs['tasks']['create'];
/** A task as tasks.get answers it: also its parent and a sub-task summary. */
export type TaskDetail = RouterOutputs['tasks']['get'];

/** A task status. */
export type TaskStatus = Task['status'];

/** Statuses in the order of their work, as the board's columns. */
export const STATUSES: readonly TaskStatus[] = [
  'backlog',
  'todo',
  'in_progress',
  'done',
  'canceled',
];

/** Priorities from none (0, the default) to most urgent (4), with their names. */
export const PRIORITIES: readonly { value: number; name: string }[] = [
  { value: 0, name: 'none' },
  { value: 1, name: 'low' },
  { value: 2, name: 'medium' },
  { value: 3, name: 'high' },
  { value: 4, name: 'urgent' },
];

/** The name of a priority, e.g. `high`. */
export function priorityName(priority: number): string {
  return PRIORITIES.find((p) => p.value === priority)?.name ?? String(priority);
}

/** True when `value` is a task status. */
export function isStatus(value: string): value is TaskStatus {
  return (STATUSES as readonly string[]).includes(value);
}
