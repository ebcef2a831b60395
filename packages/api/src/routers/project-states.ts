import {
  type Database,
  isoNow,
  type Kysely,
  newId,
  STATE_CATEGORIES,
  STATUS_OF_CATEGORY,
} from '@trellis/db';
import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import type { Actor } from '../access.js';
import { recordActivity, writeInWorkspace } from '../activity.js';
import { fieldError } from '../errors.js';
import { locate } from '../locate.js';
import { stateOutput } from '../outputs.js';
import { lockProject } from '../queries/projects.js';
import {
  getState,
  insertState,
  listStates,
  moveTasksToState,
  removeState,
  type StateView,
  setStatePosition,
  updateStateName,
} from '../queries/states.js';
import { loadTaskViews } from '../queries/tasks.js';
import { zId, zName } from '../schemas.js';
import { workspaceProcedure } from '../trpc.js';

const zStateName = zName.pipe(z.string().max(50));
const projectInput = z.object({ projectId: zId });
const stateInput = z.object({ stateId: zId });

const projectNotFound = () => new TRPCError({ code: 'NOT_FOUND', message: 'Project not found' });
const stateNotFound = () => new TRPCError({ code: 'NOT_FOUND', message: 'State not found' });
const nameTaken = (name: string) =>
  new TRPCError({ code: 'CONFLICT', message: `This project already has a state named ${name}` });

interface By {
  actor: Actor;
  at: Date;
}

function recordStateEvent(
  trx: Kysely<Database>,
  by: By,
  type: 'state.created' | 'state.updated' | 'state.deleted',
  state: StateView,
  data: Record<string, unknown> = {},
) {
  const { workspaceId, projectId } = state;
  const entry = { workspaceId, actor: by.actor, type, projectId, data: { ...data, state } };
  return recordActivity(trx, entry, by.at);
}

/** Locks the project (states change one writer at a time per project) and lists its states. */
async function lockStates(trx: Kysely<Database>, workspaceId: string, projectId: string) {
  if (!(await lockProject(trx, workspaceId, projectId))) throw projectNotFound();
  return listStates(trx, workspaceId, projectId);
}

/** Locks a state's project and answers the state with all the project's states. */
async function lockState(trx: Kysely<Database>, workspaceId: string, stateId: string) {
  const found = await getState(trx, workspaceId, stateId);
  if (!found) throw stateNotFound();
  const all = await lockStates(trx, workspaceId, found.projectId);
  // Removed while this waited for the lock: gone like one that never was.
  const state = all.find((s) => s.id === stateId);
  if (!state) throw stateNotFound();
  return { state, all };
}

/**
 * Gives the states their place in `order` (positions 1, 2, …), writing and recording only
 * those whose position changed; answers the states as they are now.
 */
async function placeInOrder(
  trx: Kysely<Database>,
  by: By,
  before: readonly StateView[],
  order: readonly StateView[],
): Promise<StateView[]> {
  const at = isoNow(by.at);
  const placed: StateView[] = [];
  for (const [index, state] of order.entries()) {
    const was = before.find((s) => s.id === state.id);
    const position = index + 1;
    if (!was || was.position === position) {
      placed.push({ ...state, position });
      continue;
    }
    const now = { ...state, position, updatedAt: at };
    await setStatePosition(trx, now);
    const changes = { position: { from: was.position, to: position } };
    await recordStateEvent(trx, by, 'state.updated', now, { changes });
    placed.push(now);
  }
  return placed;
}

// Viewers read a project's workflow; admins shape it, as they do projects.
export const projectStatesRouter = {
  list: workspaceProcedure('viewer', locate.project)
    .input(projectInput.strict())
    .output(z.array(stateOutput))
    .query(async ({ ctx, input }) => {
      const found = await listStates(ctx.db, ctx.workspace.id, input.projectId);
      if (found.length === 0) throw projectNotFound();
      return found;
    }),

  add: workspaceProcedure('admin', locate.project)
    .input(
      projectInput
        .extend({
          name: zStateName,
          category: z.enum(STATE_CATEGORIES),
          /** Its place in the order (1 = first); default: after the category's last state. */
          position: z.number().int().min(1).optional(),
        })
        .strict(),
    )
    .output(stateOutput)
    .mutation(({ ctx, input }) => {
      const workspaceId = ctx.workspace.id;
      return writeInWorkspace(ctx.db, workspaceId, ctx.now, async (trx, time) => {
        const by: By = { actor: ctx.actor, at: time };
        const before = await lockStates(trx, workspaceId, input.projectId);
        if (input.position !== undefined && input.position > before.length + 1) {
          throw fieldError(['position'], `Must be at most ${before.length + 1}`);
        }
        if (before.some((s) => s.name.toLowerCase() === input.name.toLowerCase())) {
          throw nameTaken(input.name);
        }
        const at = isoNow(time);
        const state: StateView = {
          id: newId(),
          workspaceId,
          projectId: input.projectId,
          name: input.name,
          category: input.category,
          position: before.length + 1,
          createdAt: at,
          updatedAt: at,
        };
        const lastOfCategory = before.findLastIndex((s) => s.category === input.category);
        const index =
          input.position !== undefined
            ? input.position - 1
            : lastOfCategory === -1
              ? before.length
              : lastOfCategory + 1;
        const created = { ...state, position: index + 1 };
        await insertState(trx, created);
        await recordStateEvent(trx, by, 'state.created', created);
        // The states after it move down one to make room.
        const order = [...before];
        order.splice(index, 0, created);
        await placeInOrder(trx, by, before, order);
        return created;
      });
    }),

  rename: workspaceProcedure('admin', locate.state)
    .input(stateInput.extend({ name: zStateName }).strict())
    .output(stateOutput)
    .mutation(({ ctx, input }) => {
      const workspaceId = ctx.workspace.id;
      return writeInWorkspace(ctx.db, workspaceId, ctx.now, async (trx, time) => {
        const by: By = { actor: ctx.actor, at: time };
        const { state: before, all } = await lockState(trx, workspaceId, input.stateId);
        if (before.name === input.name) return before;
        const lower = input.name.toLowerCase();
        if (all.some((s) => s.id !== before.id && s.name.toLowerCase() === lower)) {
          throw nameTaken(input.name);
        }
        const state = { ...before, name: input.name, updatedAt: isoNow(time) };
        await updateStateName(trx, state);
        const changes = { name: { from: before.name, to: state.name } };
        await recordStateEvent(trx, by, 'state.updated', state, { changes });
        return state;
      });
    }),

  reorder: workspaceProcedure('admin', locate.project)
    .input(
      projectInput
        .extend({
          /** Every state of the project, once each, in the new order. */
          stateIds: z.array(zId).min(1).max(100),
        })
        .strict(),
    )
    .output(z.array(stateOutput))
    .mutation(({ ctx, input }) => {
      const workspaceId = ctx.workspace.id;
      return writeInWorkspace(ctx.db, workspaceId, ctx.now, async (trx, time) => {
        const by: By = { actor: ctx.actor, at: time };
        const before = await lockStates(trx, workspaceId, input.projectId);
        const byId = new Map(before.map((s) => [s.id, s]));
        const order = input.stateIds.map((id) => byId.get(id));
        const complete =
          new Set(input.stateIds).size === input.stateIds.length &&
          input.stateIds.length === before.length &&
          order.every((s) => s !== undefined);
        if (!complete) {
          throw fieldError(['stateIds'], 'Must list every state of the project once each');
        }
        return placeInOrder(trx, by, before, order as StateView[]);
      });
    }),

  remove: workspaceProcedure('admin', locate.state)
    .input(
      stateInput
        .extend({
          /** Where its tasks go: another state of the same project (needed when it has tasks). */
          moveToStateId: zId.optional(),
        })
        .strict(),
    )
    .output(z.object({ ok: z.literal(true), moved: z.int() }))
    .mutation(({ ctx, input }) => {
      const workspaceId = ctx.workspace.id;
      return writeInWorkspace(ctx.db, workspaceId, ctx.now, async (trx, time) => {
        const by: By = { actor: ctx.actor, at: time };
        const { state, all: before } = await lockState(trx, workspaceId, input.stateId);
        const target =
          input.moveToStateId === undefined
            ? undefined
            : before.find((s) => s.id === input.moveToStateId && s.id !== state.id);
        if (input.moveToStateId !== undefined && !target) {
          throw fieldError(['moveToStateId'], 'Must be another state of the same project');
        }
        if (before.length === 1) {
          const message = `State ${state.name} is the project's last; add another first`;
          throw new TRPCError({ code: 'CONFLICT', message });
        }
        const moved = await moveTasksToState(trx, workspaceId, state, target, isoNow(time));
        if (moved === 'needs-target') {
          throw fieldError(
            ['moveToStateId'],
            `State ${state.name} has tasks; name the state to move them to`,
          );
        }
        // One task.updated per task moved, as if each had been edited.
        const status = (s: StateView) => STATUS_OF_CATEGORY[s.category];
        for (let start = 0; start < moved.length; start += 500) {
          const tasks = await loadTaskViews(trx, workspaceId, moved.slice(start, start + 500));
          for (const task of tasks) {
            const changes: Record<string, { from: unknown; to: unknown }> = {
              stateId: { from: state.id, to: task.stateId },
            };
            if (target && status(state) !== status(target)) {
              changes.status = { from: status(state), to: task.status };
            }
            const entry = {
              workspaceId,
              actor: by.actor,
              type: 'task.updated' as const,
              projectId: task.projectId,
              taskId: task.id,
              data: { changes, task },
            };
            await recordActivity(trx, entry, by.at);
          }
        }
        await removeState(trx, workspaceId, state.id);
        await recordStateEvent(trx, by, 'state.deleted', state);
        await placeInOrder(
          trx,
          by,
          before,
          before.filter((s) => s.id !== state.id),
        );
        return { ok: true as const, moved: moved.length };
      });
    }),
} satisfies TRPCRouterRecord;
