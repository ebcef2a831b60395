import { type Database, isoNow, type Kysely, newId, TASK_STATUSES } from '@trellis/db';
import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import type { Actor } from '../access.js';
import { changedFields, recordActivity, writeInWorkspace } from '../activity.js';
import { fieldError } from '../errors.js';
import { locate } from '../locate.js';
import { okOutput, taskDetailOutput, taskOutput } from '../outputs.js';
import { allocateTaskNumber } from '../queries/projects.js';
import { relationsOf } from '../queries/task-relations.js';
import {
  deleteTask,
  EDITABLE_TASK_FIELDS,
  insertTask,
  isAssignable,
  loadTaskViews,
  lockTask,
  type TaskPatch,
  type TaskView,
  taskFamily,
  updateTask,
} from '../queries/tasks.js';
import { LABEL_MAX_LENGTH, zId, zLine, zVerbatimText } from '../schemas.js';
import { checkParent, descendantIds } from '../task-tree.js';
import { workspaceProcedure } from '../trpc.js';
import { taskRelationsRouter } from './task-relations.js';
import { listTasks } from './tasks-list.js';
import { onTaskChange } from './tasks-on-change.js';

// Titles and labels are single lines; descriptions are stored exactly as sent.
const zTitle = zLine(200);
const zDescription = zVerbatimText({ max: 20_000 });
const zLabels = z
  .array(zLine(LABEL_MAX_LENGTH))
  .max(20)
  .transform((labels) => [...new Set(labels)]);
// Stored as UTC (`toISOString`) so that due dates sort as text like every timestamp.
const zDueAt = z.iso
  .datetime({ offset: true })
  .transform((text) => new Date(text).toISOString())
  .refine((iso) => /^\d{4}-/.test(iso), 'Must fall in the years 0000–9999');
const zPriority = z.number().int().min(0).max(4);
const taskInput = z.object({ taskId: zId });

const taskNotFound = () => new TRPCError({ code: 'NOT_FOUND', message: 'Task not found' });
const staleVersion = (task: TaskView, expectedVersion: number) =>
  new TRPCError({
    code: 'CONFLICT',
    message: `Task ${task.key} was changed by someone else since version ${expectedVersion}; reload it and try again`,
  });

/**
 * Who makes a change, and when: one time for the rows and the log entry, taken under the
 * workspace's write lock (writeInWorkspace).
 */
interface By {
  actor: Actor;
  at: Date;
}

/** Appends a task event in the change's transaction; `data.task` is `task` as given. */
function recordTaskEvent(
  trx: Kysely<Database>,
  by: By,
  type: 'task.created' | 'task.updated' | 'task.deleted',
  task: TaskView,
  data: Record<string, unknown> = {},
) {
  const { workspaceId, projectId, id: taskId } = task;
  const entry = { workspaceId, actor: by.actor, type, projectId, taskId, data: { ...data, task } };
  return recordActivity(trx, entry, by.at);
}

/** One task as clients see it; NOT_FOUND when it is gone. */
async function loadTask(db: Kysely<Database>, workspaceId: string, taskId: string) {
  const [task] = await loadTaskViews(db, workspaceId, [taskId]);
  if (!task) throw taskNotFound();
  return task;
}

/** Refuses an assignee who is not a member, as a field error on `path`. */
async function requireAssignable(
  db: Kysely<Database>,
  workspaceId: string,
  userId: string,
  path: string[],
): Promise<void> {
  if (await isAssignable(db, workspaceId, userId)) return;
  throw fieldError(path, 'Must be a member of this workspace');
}

/** The patch's fields that differ from the task (labels compared as sets). */
function differences(task: TaskView, patch: TaskPatch): TaskPatch {
  const differs = (key: keyof TaskPatch) => {
    if (key !== 'labels') return patch[key] !== task[key];
    const wanted = patch.labels ?? [];
    return wanted.length !== task.labels.length || wanted.some((l) => !task.labels.includes(l));
  };
  const keys = (Object.keys(patch) as (keyof TaskPatch)[]).filter(
    (key) => patch[key] !== undefined,
  );
  return Object.fromEntries(keys.filter(differs).map((key) => [key, patch[key]]));
}

export const tasksRouter = {
  // create, get, update, delete: defined in this file.
  // list: ./tasks-list.ts, onChange: ./tasks-on-change.ts (wired here with one line each).
  list: listTasks,
  onChange: onTaskChange,
  relations: taskRelationsRouter,

  create: workspaceProcedure('member', locate.project)
    .input(
      z
        .object({
          projectId: zId,
          title: zTitle,
          description: zDescription.default(''),
          status: z.enum(TASK_STATUSES).default('todo'),
          priority: zPriority.default(0),
          assigneeId: zId.nullable().default(null),
          labels: zLabels.default([]),
          dueAt: zDueAt.nullable().default(null),
          parentId: zId.nullable().default(null),
        })
        .strict(),
    )
    .output(taskOutput)
    .mutation(({ ctx, input }) => {
      const workspaceId = ctx.workspace.id;
      const { projectId, assigneeId, parentId } = input;
      return writeInWorkspace(ctx.db, workspaceId, ctx.now, async (trx, at): Promise<TaskView> => {
        const by: By = { actor: ctx.actor, at };
        // Under the workspace's lock the project's next number is ours alone.
        const project = await allocateTaskNumber(trx, workspaceId, projectId);
        if (!project) throw new TRPCError({ code: 'NOT_FOUND', message: 'Project not found' });
        if (project.archivedAt !== null) {
          const message = `Project ${project.key} is archived and takes no new tasks`;
          throw new TRPCError({ code: 'CONFLICT', message });
        }
        if (assigneeId !== null) {
          await requireAssignable(trx, workspaceId, assigneeId, ['assigneeId']);
        }
        if (parentId !== null) {
          await checkParent(trx, workspaceId, { projectId }, parentId, ['parentId']);
        }
        const id = newId();
        const row = { ...input, id, workspaceId, number: project.number, at: isoNow(by.at) };
        await insertTask(trx, { ...row, createdBy: by.actor.userId });
        const task = await loadTask(trx, workspaceId, id);
        await recordTaskEvent(trx, by, 'task.created', task);
        return task;
      });
    }),

  get: workspaceProcedure('viewer', locate.task)
    .input(taskInput.strict())
    .output(taskDetailOutput)
    .query(async ({ ctx, input }) => {
      const task = await loadTask(ctx.db, ctx.workspace.id, input.taskId);
      const relations = await relationsOf(ctx.db, ctx.workspace.id, task.id);
      return { ...task, ...(await taskFamily(ctx.db, task)), relations };
    }),

  update: workspaceProcedure('member', locate.task)
    .input(
      taskInput
        .extend({
          expectedVersion: z.number().int().min(1),
          patch: z
            .object({
              title: zTitle.optional(),
              description: zDescription.optional(),
              status: z.enum(TASK_STATUSES).optional(),
              priority: zPriority.optional(),
              assigneeId: zId.nullable().optional(),
              labels: zLabels.optional(),
              dueAt: zDueAt.nullable().optional(),
              parentId: zId.nullable().optional(),
            })
            .strict()
            .refine(
              (patch) => Object.values(patch).some((v) => v !== undefined),
              'Nothing to change',
            ),
        })
        .strict(),
    )
    .output(taskOutput)
    .mutation(({ ctx, input }) => {
      const workspaceId = ctx.workspace.id;
      const { taskId, expectedVersion } = input;
      return writeInWorkspace(ctx.db, workspaceId, ctx.now, async (trx, at): Promise<TaskView> => {
        const by: By = { actor: ctx.actor, at };
        if (!(await lockTask(trx, workspaceId, taskId, expectedVersion))) {
          throw staleVersion(await loadTask(trx, workspaceId, taskId), expectedVersion);
        }
        const before = await loadTask(trx, workspaceId, taskId);
        const patch = differences(before, input.patch);
        // A patch that changes nothing is no edit: same version, no activity.
        if (Object.keys(patch).length === 0) return before;
        if (patch.assigneeId) {
          await requireAssignable(trx, workspaceId, patch.assigneeId, ['patch', 'assigneeId']);
        }
        if (patch.parentId) {
          const path = ['patch', 'parentId'];
          await checkParent(trx, workspaceId, before, patch.parentId, path);
        }
        // Under the lock this cannot miss; the version guard stays as the rule's last word.
        if (!(await updateTask(trx, workspaceId, taskId, expectedVersion, patch, isoNow(by.at)))) {
          throw staleVersion(before, expectedVersion);
        }
        const task = await loadTask(trx, workspaceId, taskId);
        const changes = changedFields<TaskPatch>(before, task, EDITABLE_TASK_FIELDS);
        await recordTaskEvent(trx, by, 'task.updated', task, { changes });
        return task;
      });
    }),

  delete: workspaceProcedure('member', locate.task)
    .input(taskInput.extend({ cascade: z.boolean().default(false) }).strict())
    .output(okOutput)
    .mutation(async ({ ctx, input }) => {
      const workspaceId = ctx.workspace.id;
      const { taskId } = input;
      await writeInWorkspace(ctx.db, workspaceId, ctx.now, async (trx, at) => {
        const by: By = { actor: ctx.actor, at };
        if (!(await lockTask(trx, workspaceId, taskId))) throw taskNotFound();
        const task = await loadTask(trx, workspaceId, taskId);
        const below = await descendantIds(trx, workspaceId, taskId);
        if (below.length > 0 && !input.cascade) {
          const count = below.length === 1 ? '1 sub-task' : `${below.length} sub-tasks`;
          throw new TRPCError({
            code: 'CONFLICT',
            message: `Task ${task.key} has ${count}; delete them first, or pass cascade: true to delete them with it`,
          });
        }
        // Each sub-task is deleted (by cascade) and recorded, deepest first, then the task.
        for (const gone of await loadTaskViews(trx, workspaceId, below)) {
          await recordTaskEvent(trx, by, 'task.deleted', gone);
        }
        await deleteTask(trx, workspaceId, taskId);
        await recordTaskEvent(trx, by, 'task.deleted', task);
      });
      return { ok: true as const };
    }),
} satisfies TRPCRouterRecord;
