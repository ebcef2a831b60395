import type { Database, Kysely } from '@trellis/db';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { writeInWorkspace } from '../activity.js';
import { fieldError } from '../errors.js';
import { taskOutput } from '../outputs.js';
import { loadTaskViews, lockTask, type TaskView, taskLink } from '../queries/tasks.js';
import { zId } from '../schemas.js';
import { type By, editTask, taskPatchFields, trashTask, zLabels } from '../task-edit.js';
import { MAX_TASK_DEPTH } from '../task-tree.js';
import { workspaceInput, workspaceProcedure } from '../trpc.js';

/** The most tasks one bulk call may change. */
export const BULK_MAX_TASKS = 500;

const zTaskIds = z
  .array(zId)
  .min(1)
  .max(BULK_MAX_TASKS)
  .refine((ids) => new Set(ids).size === ids.length, 'Must not name a task twice');
// A task's version as the caller last saw it, by task id: optional, per task.
const zExpectedVersions = z.record(zId, z.number().int().min(1)).optional();

const bulkPatch = z
  .object({
    ...taskPatchFields,
    /** Labels to add to each task's own (the others stay). */
    addLabels: zLabels.optional(),
    /** Labels to take off each task (absent ones are ignored). */
    removeLabels: zLabels.optional(),
  })
  .strict()
  .refine((patch) => Object.values(patch).some((v) => v !== undefined), 'Nothing to change')
  .refine(
    (patch) =>
      patch.labels === undefined ||
      (patch.addLabels === undefined && patch.removeLabels === undefined),
    { message: 'Send labels, or addLabels / removeLabels, not both', path: ['labels'] },
  );

/**
 * Locks every named task of the workspace, in the order given, each at its expected version
 * when one is given; answers them as they are. A task that is not in the workspace is a
 * field error on its place in `taskIds`; tasks not at their expected version, one CONFLICT
 * naming them all. Nothing has been written when it throws.
 */
async function lockAll(
  trx: Kysely<Database>,
  workspaceId: string,
  taskIds: readonly string[],
  expected: Readonly<Record<string, number>> | undefined,
): Promise<TaskView[]> {
  for (const id of Object.keys(expected ?? {})) {
    if (!taskIds.includes(id)) {
      throw fieldError(['expectedVersions', id], 'Must be one of taskIds');
    }
  }
  const stale: string[] = [];
  for (const [index, id] of taskIds.entries()) {
    if (await lockTask(trx, workspaceId, id)) continue;
    throw fieldError(['taskIds', String(index)], 'No such task in this workspace');
  }
  const tasks = await loadTaskViews(trx, workspaceId, taskIds);
  for (const task of tasks) {
    const version = expected?.[task.id];
    if (version !== undefined && version !== task.version) stale.push(task.key);
  }
  if (stale.length > 0) {
    const which = stale.length === 1 ? `Task ${stale[0]} was` : `Tasks ${stale.join(', ')} were`;
    const message = `${which} changed by someone else since the versions given; nothing was changed; reload and try again`;
    throw new TRPCError({ code: 'CONFLICT', message });
  }
  return tasks;
}

/** True when a parent, grandparent, … of the task is one of `named`. */
async function hasNamedAncestor(
  trx: Kysely<Database>,
  workspaceId: string,
  task: TaskView,
  named: ReadonlySet<string>,
): Promise<boolean> {
  let parentId = task.parentId;
  // Trees are at most MAX_TASK_DEPTH deep; the bound only guards a stored loop.
  for (let hops = 0; parentId !== null && hops <= MAX_TASK_DEPTH; hops += 1) {
    if (named.has(parentId)) return true;
    parentId = (await taskLink(trx, workspaceId, parentId))?.parentId ?? null;
  }
  return false;
}

export const bulkUpdate = workspaceProcedure('member')
  .input(
    workspaceInput
      .extend({ taskIds: zTaskIds, patch: bulkPatch, expectedVersions: zExpectedVersions })
      .strict(),
  )
  .output(z.object({ items: z.array(taskOutput) }))
  .mutation(({ ctx, input }) => {
    const workspaceId = ctx.workspace.id;
    return writeInWorkspace(ctx.db, workspaceId, ctx.now, async (trx, at) => {
      const by: By = { actor: ctx.actor, at };
      const tasks = await lockAll(trx, workspaceId, input.taskIds, input.expectedVersions);
      const items: TaskView[] = [];
      for (const before of tasks) {
        // Each task's rules are checked as tasks.update checks them; the first refusal
        // rolls everything back, and its message names the task.
        const task = await editTask(trx, by, before, input.patch, ['patch'], `${before.key}: `);
        if (!task) throw new Error(`Task ${before.key} changed under its lock`);
        items.push(task);
      }
      return { items };
    });
  });

export const bulkDelete = workspaceProcedure('member')
  .input(
    workspaceInput
      .extend({
        taskIds: zTaskIds,
        /** Also trash the sub-tasks of tasks that have some (else such a task is a CONFLICT). */
        cascade: z.boolean().default(false),
        expectedVersions: zExpectedVersions,
      })
      .strict(),
  )
  .output(z.object({ ok: z.literal(true), deleted: z.int() }))
  .mutation(async ({ ctx, input }) => {
    const workspaceId = ctx.workspace.id;
    return writeInWorkspace(ctx.db, workspaceId, ctx.now, async (trx, at) => {
      const by: By = { actor: ctx.actor, at };
      const tasks = await lockAll(trx, workspaceId, input.taskIds, input.expectedVersions);
      const named = new Set(input.taskIds);
      let deleted = 0;
      // Only the topmost named tasks are trashed by name: a named task below another goes
      // with it (without needing cascade), so tasks.restore of the top one brings back
      // all of them, whatever the order of taskIds.
      for (const task of tasks) {
        if (await hasNamedAncestor(trx, workspaceId, task, named)) continue;
        deleted += await trashTask(trx, by, task, { cascade: input.cascade, alsoNamed: named });
      }
      return { ok: true as const, deleted };
    });
  });
