import { isoNow, newId, STATUS_OF_CATEGORY } from '@trellis/db';
import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { writeInWorkspace } from '../activity.js';
import { locate } from '../locate.js';
import { okOutput, taskDetailOutput, taskOutput } from '../outputs.js';
import { inWrittenOrder, mentionsOfTask } from '../queries/mentions.js';
import { allocateTaskNumber } from '../queries/projects.js';
import { defaultStateOf } from '../queries/states.js';
import { relationsOf } from '../queries/task-relations.js';
import { insertTask, lockTask, type TaskView, taskFamily } from '../queries/tasks.js';
import { watcherIds } from '../queries/watchers.js';
import { zId } from '../schemas.js';
import {
  type By,
  editTask,
  loadTask,
  recordTaskEvent,
  requireAssignable,
  resolveState,
  taskNotFound,
  taskPatchFields,
  trashTask,
  zDescription,
  zDueAt,
  zLabels,
  zPriority,
  zStatus,
  zTitle,
} from '../task-edit.js';
import { checkParent } from '../task-tree.js';
import { workspaceProcedure } from '../trpc.js';
import { taskRelationsRouter } from './task-relations.js';
import { taskWatchersRouter } from './task-watchers.js';
import { bulkDelete, bulkUpdate } from './tasks-bulk.js';
import { listTasks } from './tasks-list.js';
import { onTaskChange } from './tasks-on-change.js';
import { restoreTask } from './tasks-trash.js';

const taskInput = z.object({ taskId: zId });

const staleVersion = (task: TaskView, expectedVersion: number) =>
  new TRPCError({
    code: 'CONFLICT',
    message: `Task ${task.key} was changed by someone else since version ${expectedVersion}; reload it and try again`,
  });

export const tasksRouter = {
  // create, get, update, delete: defined in this file.
  // list: ./tasks-list.ts, onChange: ./tasks-on-change.ts, restore: ./tasks-trash.ts (wired
  // here with one line each).
  list: listTasks,
  onChange: onTaskChange,
  relations: taskRelationsRouter,
  restore: restoreTask,
  bulkUpdate,
  bulkDelete,
  // watch, unwatch: ./task-watchers.ts
  ...taskWatchersRouter,

  create: workspaceProcedure('member', locate.project)
    .input(
      z
        .object({
          projectId: zId,
          title: zTitle,
          description: zDescription.default(''),
          status: zStatus.optional(),
          stateId: zId.optional(),
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
        const state =
          (await resolveState(trx, workspaceId, projectId, input, [])) ??
          (await defaultStateOf(trx, workspaceId, projectId));
        if (!state) throw new TRPCError({ code: 'NOT_FOUND', message: 'Project not found' });
        const id = newId();
        const row = {
          ...input,
          id,
          workspaceId,
          number: project.number,
          at: isoNow(by.at),
          stateId: state.id,
          status: STATUS_OF_CATEGORY[state.category],
        };
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
      const [mentions, watchers] = await Promise.all([
        mentionsOfTask(ctx.db, ctx.workspace.id, task.id),
        watcherIds(ctx.db, ctx.workspace.id, task.id),
      ]);
      return {
        ...task,
        ...(await taskFamily(ctx.db, task)),
        relations,
        mentions: inWrittenOrder(mentions, task.description),
        watcherIds: watchers,
      };
    }),

  update: workspaceProcedure('member', locate.task)
    .input(
      taskInput
        .extend({
          expectedVersion: z.number().int().min(1),
          patch: z
            .object(taskPatchFields)
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
        const task = await editTask(trx, by, before, input.patch, ['patch']);
        // Under the lock this cannot miss; the version guard stays as the rule's last word.
        if (!task) throw staleVersion(before, expectedVersion);
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
        // To the trash with its sub-tasks (tasks.restore brings them back), as tasks.bulkDelete.
        await trashTask(trx, by, task, { cascade: input.cascade });
      });
      return { ok: true as const };
    }),
} satisfies TRPCRouterRecord;
