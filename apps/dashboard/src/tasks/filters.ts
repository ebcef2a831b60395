import type { RouterInputs } from '@trellis/client';
import { isStatus, type TaskStatus } from './taskFields';

/** The orders tasks.list offers. */
export const SORTS = ['created', 'updated', 'priority', 'due'] as const;
type Sort = (typeof SORTS)[number];

/** The task list's filters, as kept in the URL's query string. */
export interface TaskFilters {
  project: string;
  statuses: TaskStatus[];
  /** A member's id, `none` for unassigned tasks, or '' for anyone. */
  assignee: string;
  label: string;
  q: string;
  sort: Sort;
  order: 'asc' | 'desc';
}

/** Unassigned, in the assignee filter. */
export const UNASSIGNED = 'none';

const DEFAULTS: TaskFilters = {
  project: '',
  statuses: [],
  assignee: '',
  label: '',
  q: '',
  sort: 'created',
  order: 'desc',
};

/** Filters from a query string (`?project=…&status=todo&status=done&q=…`); unknown or
 * invalid values fall back to the defaults. */
export function parseFilters(search: string): TaskFilters {
  const params = new URLSearchParams(search);
  const sort = params.get('sort') ?? '';
  const order = params.get('order');
  const statuses = params.getAll('status').filter(isStatus);
  return {
    project: params.get('project') ?? '',
    statuses: [...new Set(statuses)],
    assignee: params.get('assignee') ?? '',
    label: params.get('label') ?? '',
    q: params.get('q') ?? '',
    sort: (SORTS as readonly string[]).includes(sort) ? (sort as Sort) : DEFAULTS.sort,
    order: order === 'asc' || order === 'desc' ? order : DEFAULTS.order,
  };
}

/** The query string for `filters` (defaults left out), with its `?`, or ''. */
export function filtersToSearch(filters: TaskFilters): string {
  const params = new URLSearchParams();
  if (filters.project) params.set('project', filters.project);
  for (const status of filters.statuses) params.append('status', status);
  if (filters.assignee) params.set('assignee', filters.assignee);
  if (filters.label.trim()) params.set('label', filters.label.trim());
  if (filters.q.trim()) params.set('q', filters.q.trim());
  if (filters.sort !== DEFAULTS.sort) params.set('sort', filters.sort);
  if (filters.order !== DEFAULTS.order) params.set('order', filters.order);
  const text = params.toString();
  return text ? `?${text}` : '';
}

type ListInput = RouterInputs['tasks']['list'];

/** The tasks.list input for `filters` (no cursor: the infinite query adds it). */
export function listInput(workspaceId: string, filters: TaskFilters, limit: number): ListInput {
  const input: ListInput = { workspaceId, sort: filters.sort, order: filters.order, limit };
  if (filters.project) input.projectId = filters.project;
  if (filters.statuses.length > 0) input.status = filters.statuses;
  if (filters.assignee)
    input.assigneeId = filters.assignee === UNASSIGNED ? null : filters.assignee;
  if (filters.label.trim()) input.label = filters.label.trim();
  if (filters.q.trim()) input.q = filters.q.trim();
  return input;
}
