import { type Database, isoNow, type Kysely } from '@trellis/db';
import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import type { Actor } from '../access.js';
import { recordActivity, writeInWorkspace } from '../activity.js';
import { fieldError } from '../errors.js';
import { locate } from '../locate.js';
import { taskRelationsOutput } from '../outputs.js';
import {
  blockingPath,
  deleteRelation,
  findRelation,
  insertRelation,
  type RelationRow,
  relationsOf,
  type TaskRef,
  taskRefs,
} from '../queries/task-relations.js';
import { findTaskProject } from '../queries/tasks.js';
import { zId } from '../schemas.js';
import { workspaceProcedure } from '../trpc.js';

// tasks.relations.add / remove: `taskId` blocks, relates to or duplicates `otherTaskId`.
// Both tasks are in the caller's workspace (the other one is looked up there only, so a
// task of another workspace is as unknown as a missing one). Each change is one activity
// entry (task.relation_added / task.relation_removed) in the change's transaction.

const relationInput = z
  .object({
    taskId: zId,
    type: z.enum(['blocks', 'relates', 'duplicates']),
    otherTaskId: zId,
  })
  .strict();

const taskNotFound = () => new TRPCError({ code: 'NOT_FOUND', message: 'Task not found' });

const READS = { blocks: 'blocks', relates: 'relates to', duplicates: 'duplicates' } as const;

/** "ENG-1 blocks ENG-2" */
const describe = (relation: RelationRow, refs: Map<string, TaskRef>) =>
  `${refs.get(relation.taskId)?.key} ${READS[relation.type]} ${refs.get(relation.otherTaskId)?.key}`;

/**
 * Both tasks of the relation, by id; NOT_FOUND when either is not in the workspace, and a
 * field error when they are the same task.
 */
async function bothTasks(trx: Kysely<Database>, workspaceId: string, relation: RelationRow) {
  if (relation.taskId === relation.otherTaskId) {
    throw fieldError(['otherTaskId'], 'Must be another task than taskId');
  }
  const refs = await taskRefs(trx, workspaceId, [relation.taskId, relation.otherTaskId]);
  if (refs.size < 2) throw taskNotFound();
  return refs;
}

/** Refuses `relation` (a `blocks`) when it would close a loop, naming it by task keys. */
async function refuseCycle(
  trx: Kysely<Database>,
  workspaceId: string,
  relation: RelationRow,
): Promise<void> {
  const path = await blockingPath(trx, workspaceId, relation.otherTaskId, relation.taskId);
  if (!path) return;
  const refs = await taskRefs(trx, workspaceId, path);
  const cycle = [relation.taskId, ...path].map((id) => refs.get(id)?.key ?? id).join(' → ');
  throw new TRPCError({
    code: 'CONFLICT',
    message: `Blocking would form a cycle: ${cycle}`,
  });
}

/** Records the change; `data.relation` is what its event carries. */
async function recordRelationEvent(
  trx: Kysely<Database>,
  by: { actor: Actor; at: Date },
  type: 'task.relation_added' | 'task.relation_removed',
  workspaceId: string,
  relation: RelationRow,
  refs: Map<string, TaskRef>,
) {
  const task = await findTaskProject(trx, workspaceId, relation.taskId);
  const data = {
    relation: {
      type: relation.type,
      taskId: relation.taskId,
      taskKey: refs.get(relation.taskId)?.key ?? '',
      otherTaskId: relation.otherTaskId,
      otherTaskKey: refs.get(relation.otherTaskId)?.key ?? '',
    },
  };
  const entry = {
    workspaceId,
    actor: by.actor,
    type,
    projectId: task?.projectId ?? null,
    taskId: relation.taskId,
    data,
  };
  await recordActivity(trx, entry, by.at);
}

export const taskRelationsRouter = {
  add: workspaceProcedure('member', locate.task)
    .input(relationInput)
    .output(taskRelationsOutput)
    .mutation(({ ctx, input }) => {
      const workspaceId = ctx.workspace.id;
      return writeInWorkspace(ctx.db, workspaceId, ctx.now, async (trx, at) => {
        const refs = await bothTasks(trx, workspaceId, input);
        const existing = await findRelation(trx, workspaceId, input);
        if (existing) {
          const message = `Relation already exists: ${describe(existing, refs)}`;
          throw new TRPCError({ code: 'CONFLICT', message });
        }
        if (input.type === 'blocks') await refuseCycle(trx, workspaceId, input);
        await insertRelation(trx, workspaceId, input, {
          userId: ctx.actor.userId,
          at: isoNow(at),
        });
        await recordRelationEvent(
          trx,
          { actor: ctx.actor, at },
          'task.relation_added',
          workspaceId,
          input,
          refs,
        );
        return relationsOf(trx, workspaceId, input.taskId);
      });
    }),

  remove: workspaceProcedure('member', locate.task)
    .input(relationInput)
    .output(taskRelationsOutput)
    .mutation(({ ctx, input }) => {
      const workspaceId = ctx.workspace.id;
      return writeInWorkspace(ctx.db, workspaceId, ctx.now, async (trx, at) => {
        const refs = await bothTasks(trx, workspaceId, input);
        const existing = await findRelation(trx, workspaceId, input);
        if (!existing) throw new TRPCError({ code: 'NOT_FOUND', message: 'Relation not found' });
        await deleteRelation(trx, workspaceId, existing);
        await recordRelationEvent(
          trx,
          { actor: ctx.actor, at },
          'task.relation_removed',
          workspaceId,
          input,
          refs,
        );
        return relationsOf(trx, workspaceId, input.taskId);
      });
    }),
} satisfies TRPCRouterRecord;
