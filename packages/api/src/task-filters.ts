import { TASK_STATUSES } from '@trellis/db';
import { z } from 'zod';
import { TASK_SORTS } from './queries/tasks-list.js';
import { LABEL_MAX_LENGTH, zId, zInstant, zPrintableText } from './schemas.js';

// tasks.list's filters, on their own: saved views (routers/views.ts) store exactly these,
// and outputs.ts describes a view with them, so they live apart from the procedure.

/** The most assignees or labels one list asks for. */
export const TASK_LIST_MAX_CHOICES = 20;

// Instants (`zInstant`) as tasks.create takes `dueAt`: ISO 8601 with an offset, compared in UTC.

/** 1–20 different values. */
function zChoices<T extends z.ZodType>(item: T, what: string) {
  return z
    .array(item)
    .min(1)
    .max(TASK_LIST_MAX_CHOICES)
    .refine((items) => new Set(items).size === items.length, `${what} must differ`);
}

// Trimmed like the labels tasks.create stores.
const zLabel = zPrintableText(LABEL_MAX_LENGTH);

/**
 * The filters of tasks.list, and exactly what a saved view stores (views.ts): no
 * workspace, sort, page or cursor. `labelMatch` needs `label` ({@link filterProblems}).
 */
export const taskListFilters = z
  .object({
    projectId: zId.optional(),
    status: z
      .array(z.enum(TASK_STATUSES))
      .min(1)
      .max(TASK_STATUSES.length)
      .refine((statuses) => new Set(statuses).size === statuses.length, 'Statuses must differ')
      .optional(),
    /** Any of these workflow states (projects.states). */
    stateId: zChoices(zId, 'States').optional(),
    /** One assignee, or any of several; null: unassigned. */
    assigneeId: z.union([zId, z.null(), zChoices(zId.nullable(), 'Assignees')]).optional(),
    /** Sub-tasks of this task; null: top-level tasks only. */
    parentId: zId.nullable().optional(),
    /** true: tasks some open task blocks; false: tasks no open task blocks. */
    blocked: z.boolean().optional(),
    /** One label, or several: any of them, or all with `labelMatch: 'all'`. */
    label: z.union([zLabel, zChoices(zLabel, 'Labels')]).optional(),
    labelMatch: z.enum(['any', 'all']).optional(),
    createdBy: zId.optional(),
    /** Due strictly before this instant (tasks without a due date never match). */
    dueBefore: zInstant.optional(),
    /** Due at or after this instant (tasks without a due date never match). */
    dueAfter: zInstant.optional(),
    /** Updated at or after this instant. */
    updatedSince: zInstant.optional(),
    q: z.string().trim().min(1).max(200).optional(),
  })
  .strict();

/** tasks.list's filters as validated. */
export type TaskListFilters = z.output<typeof taskListFilters>;

/** What is wrong with a combination of filters each valid alone. */
export function filterProblems(filters: TaskListFilters): { path: string; message: string }[] {
  if (filters.labelMatch !== undefined && filters.label === undefined) {
    return [{ path: 'labelMatch', message: 'labelMatch needs label' }];
  }
  return [];
}

/** The list orders a view or a list asks for. */
export const taskListSort = {
  sort: z.enum(TASK_SORTS).default('created'),
  order: z.enum(['asc', 'desc']).default('desc'),
};

/**
 * The filters as answers carry them (a saved view's `filters`): the validated shape
 * without the checks, lean like every output schema.
 */
export const taskListFiltersOutput = z.object({
  projectId: z.string().optional(),
  status: z.array(z.enum(TASK_STATUSES)).optional(),
  stateId: z.array(z.string()).optional(),
  assigneeId: z.union([z.string(), z.null(), z.array(z.string().nullable())]).optional(),
  parentId: z.string().nullable().optional(),
  blocked: z.boolean().optional(),
  label: z.union([z.string(), z.array(z.string())]).optional(),
  labelMatch: z.enum(['any', 'all']).optional(),
  createdBy: z.string().optional(),
  dueBefore: z.string().optional(),
  dueAfter: z.string().optional(),
  updatedSince: z.string().optional(),
  q: z.string().optional(),
});

// A filter added to one schema and not the other fails to compile here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameFilters: Same<z.output<typeof taskListFiltersOutput>, TaskListFilters> = true;
void sameFilters;
