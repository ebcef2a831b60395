// Projects and tasks for the raw-HTTP tests, and the assertions on the lists they appear in.
import { expect } from 'vitest';
import { unique } from './accounts.js';
import type { Wire } from './http.js';
import { dataOf, type Project, type Reply, type Task, type TaskPage } from './wire.js';

type Sortable = string | number;

/** Asserts `values` are in `order` (ties allowed). */
export function expectInOrder(values: readonly Sortable[], order: 'asc' | 'desc'): void {
  const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  expect(values).toEqual(order === 'asc' ? sorted : sorted.reverse());
}

export const ids = (items: readonly { id: string }[]) => items.map((item) => item.id);
export const idSet = (items: readonly { id: string }[]) => new Set(ids(items));

/** The project and task helpers, bound to one file's server. */
export function workOn({ query, mutate }: Wire) {
  async function createProject(token: string, workspaceId: string, key: string): Promise<Project> {
    return dataOf<Project>(
      await mutate('projects.create', { workspaceId, name: `Project ${key}`, key }, { token }),
    );
  }

  async function createTask(
    token: string,
    projectId: string,
    fields: Record<string, unknown> = {},
  ): Promise<Task> {
    return dataOf<Task>(
      await mutate('tasks.create', { projectId, title: unique('Task'), ...fields }, { token }),
    );
  }

  async function getTask(token: string, taskId: string): Promise<Task> {
    return dataOf<Task>(await query('tasks.get', { taskId }, { token }));
  }

  function listTasks(token: string, input: Record<string, unknown>): Promise<Reply> {
    return query('tasks.list', input, { token });
  }

  /** Follows nextCursor from the first page to the last; returns the ids in order. */
  async function walkTasks(
    token: string,
    input: Record<string, unknown>,
    limit: number,
    betweenPages: () => Promise<void> = async () => {},
  ): Promise<{ ids: string[]; pages: number }> {
    const walked: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: TaskPage = dataOf<TaskPage>(
        await listTasks(token, { ...input, limit, ...(cursor === null ? {} : { cursor }) }),
      );
      pages += 1;
      expect(page.items.length).toBeLessThanOrEqual(limit);
      walked.push(...ids(page.items));
      cursor = page.nextCursor;
      if (pages > 200) throw new Error('the cursor walk does not end');
      if (cursor !== null) await betweenPages();
    } while (cursor !== null);
    return { ids: walked, pages };
  }

  return { createProject, createTask, getTask, listTasks, walkTasks };
}
