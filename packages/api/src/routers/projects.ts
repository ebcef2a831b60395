import { type Database, isoNow, isUniqueViolation, type Kysely, newId } from '@trellis/db';
import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import type { Actor } from '../access.js';
import { type ActivityType, changedFields, recordActivity, writeInWorkspace } from '../activity.js';
import { locate } from '../locate.js';
import { projectOutput } from '../outputs.js';
import {
  getProject,
  insertProject,
  listProjects,
  lockProject,
  type ProjectView,
  updateProject,
} from '../queries/projects.js';
import { insertDefaultStates } from '../queries/states.js';
import { zId, zName } from '../schemas.js';
import { workspaceInput, workspaceProcedure } from '../trpc.js';
import { projectStatesRouter } from './project-states.js';

const zProjectKey = z.string().regex(/^[A-Z]{2,10}$/, 'Use 2–10 uppercase letters A–Z');
const projectInput = z.object({ projectId: zId });

const keyTaken = (key: string) =>
  new TRPCError({ code: 'CONFLICT', message: `This workspace already has a project ${key}` });
const projectNotFound = () => new TRPCError({ code: 'NOT_FOUND', message: 'Project not found' });

/** One project of the workspace; NOT_FOUND when it is gone. */
async function loadProject(db: Kysely<Database>, workspaceId: string, projectId: string) {
  const project = await getProject(db, workspaceId, projectId);
  if (!project) throw projectNotFound();
  return project;
}

/** Locks, then reads, a project inside a transaction that is about to change it. */
async function lockAndLoadProject(trx: Kysely<Database>, workspaceId: string, projectId: string) {
  if (!(await lockProject(trx, workspaceId, projectId))) throw projectNotFound();
  return loadProject(trx, workspaceId, projectId);
}

/** Appends a project event in the change's transaction; `data.project` is the project after it. */
function recordProjectEvent(
  trx: Kysely<Database>,
  by: { actor: Actor; at: Date },
  type: Extract<ActivityType, `project.${string}`>,
  project: ProjectView,
  data: Record<string, unknown> = {},
) {
  const { workspaceId, id: projectId } = project;
  const entry = { workspaceId, actor: by.actor, type, projectId, data: { ...data, project } };
  return recordActivity(trx, entry, by.at);
}

// Viewers and all API tokens read projects; admins manage them (write tokens act as
// members, so they cannot).
export const projectsRouter = {
  // A project's workflow states: ./project-states.ts.
  states: projectStatesRouter,

  create: workspaceProcedure('admin')
    .input(workspaceInput.extend({ name: zName, key: zProjectKey }).strict())
    .output(projectOutput)
    .mutation(async ({ ctx, input }): Promise<ProjectView> => {
      try {
        return await writeInWorkspace(ctx.db, ctx.workspace.id, ctx.now, async (trx, time) => {
          const at = isoNow(time);
          const project: ProjectView = {
            id: newId(),
            workspaceId: ctx.workspace.id,
            key: input.key,
            name: input.name,
            archivedAt: null,
            createdAt: at,
            updatedAt: at,
          };
          await insertProject(trx, project);
          await insertDefaultStates(trx, project.workspaceId, project.id, at);
          await recordProjectEvent(trx, { actor: ctx.actor, at: time }, 'project.created', project);
          return project;
        });
      } catch (error) {
        // The unique index decides a race between two creates of the same key.
        throw isUniqueViolation(error) ? keyTaken(input.key) : error;
      }
    }),

  list: workspaceProcedure('viewer')
    .input(workspaceInput.extend({ includeArchived: z.boolean().optional() }).strict())
    .output(z.array(projectOutput))
    .query(({ ctx, input }) =>
      listProjects(ctx.db, ctx.workspace.id, input.includeArchived ?? false),
    ),

  get: workspaceProcedure('viewer', locate.project)
    .input(projectInput.strict())
    .output(projectOutput)
    .query(({ ctx, input }) => loadProject(ctx.db, ctx.workspace.id, input.projectId)),

  update: workspaceProcedure('admin', locate.project)
    .input(projectInput.extend({ name: zName.optional() }).strict())
    .output(projectOutput)
    .mutation(({ ctx, input }) => {
      const workspaceId = ctx.workspace.id;
      return writeInWorkspace(ctx.db, workspaceId, ctx.now, async (trx, at) => {
        const by = { actor: ctx.actor, at };
        const before = await lockAndLoadProject(trx, workspaceId, input.projectId);
        if (input.name === undefined || input.name === before.name) return before;
        const project = { ...before, name: input.name, updatedAt: isoNow(by.at) };
        await updateProject(trx, workspaceId, project.id, {
          name: project.name,
          updated_at: project.updatedAt,
        });
        const changes = changedFields<Pick<ProjectView, 'name'>>(before, project, ['name']);
        await recordProjectEvent(trx, by, 'project.updated', project, { changes });
        return project;
      });
    }),

  // Archiving is idempotent: an archived project comes back as it is, with its first
  // archivedAt and no second log entry.
  archive: workspaceProcedure('admin', locate.project)
    .input(projectInput.strict())
    .output(projectOutput)
    .mutation(({ ctx, input }) => {
      const workspaceId = ctx.workspace.id;
      return writeInWorkspace(ctx.db, workspaceId, ctx.now, async (trx, time) => {
        const by = { actor: ctx.actor, at: time };
        const before = await lockAndLoadProject(trx, workspaceId, input.projectId);
        if (before.archivedAt !== null) return before;
        const at = isoNow(by.at);
        const project = { ...before, archivedAt: at, updatedAt: at };
        await updateProject(trx, workspaceId, project.id, { archived_at: at, updated_at: at });
        await recordProjectEvent(trx, by, 'project.archived', project);
        return project;
      });
    }),
} satisfies TRPCRouterRecord;
