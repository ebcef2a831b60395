import {
  type Actor,
  allocateTaskNumber,
  appRouter,
  getUserWorkspace,
  insertTask,
  isAssignable,
  listTaskPage,
  loadTaskViews,
  locate,
  recordActivity,
  roleAtLeast,
  statsOverview,
  type TaskListInput,
  type TaskView,
} from '@trellis/api';
import { type AuthUser, validateSessionToken } from '@trellis/auth';
import { type Database, isoNow, type Kysely, newId, type Role, type TaskStatus } from '@trellis/db';
import { z } from 'zod';

// The procedures the benchmark drives, as plain functions: the same authentication, the
// same workspace and role check, the same zod schemas (taken from the procedures
// themselves) and the same queries (imported from @trellis/api). Only the transport
// around them differs from Trellis, which is what the comparison is meant to measure.

/** An answer other than 200, with its HTTP status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The zod schema a procedure checks its input with, read from the procedure. */
function inputSchema<T>(procedure: { _def: { inputs: unknown[] } }): z.ZodType<T> {
  const [schema, ...more] = procedure._def.inputs;
  if (!(schema instanceof z.ZodType) || more.length > 0) {
    throw new Error('expected a procedure with one zod input schema');
  }
  return schema as z.ZodType<T>;
}

/** The zod schema a procedure checks its answer with (`.output(...)`), read from the procedure. */
function outputSchema<T>(procedure: { _def: object }): z.ZodType<T> {
  const schema = 'output' in procedure._def ? procedure._def.output : undefined;
  if (!(schema instanceof z.ZodType))
    throw new Error('expected a procedure with a zod output schema');
  return schema as z.ZodType<T>;
}

/** tasks.create's input after validation (defaults applied). */
interface CreateTaskInput {
  projectId: string;
  title: string;
  description: string;
  status: TaskStatus;
  priority: number;
  assigneeId: string | null;
  labels: string[];
  dueAt: string | null;
}

const schemas = {
  get: inputSchema<{ taskId: string }>(appRouter.tasks.get),
  list: inputSchema<TaskListInput>(appRouter.tasks.list),
  create: inputSchema<CreateTaskInput>(appRouter.tasks.create),
  stats: inputSchema<{ workspaceId: string }>(appRouter.stats.overview),
};

// tRPC parses every answer with the procedure's output schema; so does the baseline.
const outputs = {
  get: outputSchema<TaskView>(appRouter.tasks.get),
  list: outputSchema<Awaited<ReturnType<typeof listTaskPage>>>(appRouter.tasks.list),
  create: outputSchema<TaskView>(appRouter.tasks.create),
  stats: outputSchema<Awaited<ReturnType<typeof statsOverview>>>(appRouter.stats.overview),
};

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** The signed-in user a bearer session token names (as the procedures check it), or 401. */
export async function authenticate(
  db: Kysely<Database>,
  authorization: string | undefined,
): Promise<AuthUser> {
  const token = BEARER.exec(authorization ?? '')?.[1];
  if (!token) throw new HttpError(401, 'Sign in first');
  const auth = await validateSessionToken(db, token, { now: new Date() });
  if (!auth) throw new HttpError(401, 'Session expired or invalid');
  return auth.user;
}

/** The workspace `where` finds from the raw input, if the user holds `minRole` there. */
async function workspaceOf(
  db: Kysely<Database>,
  user: AuthUser,
  where: (typeof locate)[keyof typeof locate],
  rawInput: unknown,
  minRole: Role,
) {
  const workspaceId = await where.find(db, rawInput);
  const workspace =
    workspaceId === undefined ? undefined : await getUserWorkspace(db, user.id, workspaceId);
  if (!workspace) throw new HttpError(404, `${where.label} not found`);
  if (!roleAtLeast(workspace.role, minRole)) throw new HttpError(403, 'Role too weak');
  return workspace;
}

/** A procedure as a plain function of the database, the caller and the raw input. */
export type Handler = (db: Kysely<Database>, user: AuthUser, rawInput: unknown) => Promise<unknown>;

async function getTask(db: Kysely<Database>, user: AuthUser, rawInput: unknown) {
  const workspace = await workspaceOf(db, user, locate.task, rawInput, 'viewer');
  const input = schemas.get.parse(rawInput);
  const [task] = await loadTaskViews(db, workspace.id, [input.taskId]);
  if (!task) throw new HttpError(404, 'Task not found');
  return outputs.get.parse(task);
}

async function listTasks(db: Kysely<Database>, user: AuthUser, rawInput: unknown) {
  const workspace = await workspaceOf(db, user, locate.workspace, rawInput, 'viewer');
  return outputs.list.parse(await listTaskPage(db, workspace.id, schemas.list.parse(rawInput)));
}

async function overview(db: Kysely<Database>, user: AuthUser, rawInput: unknown) {
  const workspace = await workspaceOf(db, user, locate.workspace, rawInput, 'viewer');
  schemas.stats.parse(rawInput);
  return outputs.stats.parse(await statsOverview(db, workspace.id, new Date()));
}

async function createTask(db: Kysely<Database>, user: AuthUser, rawInput: unknown) {
  const workspace = await workspaceOf(db, user, locate.project, rawInput, 'member');
  const input = schemas.create.parse(rawInput);
  const workspaceId = workspace.id;
  const actor: Actor = { userId: user.id, apiTokenId: null };
  const at = new Date();
  const created = await db.transaction().execute(async (trx): Promise<TaskView> => {
    const project = await allocateTaskNumber(trx, workspaceId, input.projectId);
    if (!project) throw new HttpError(404, 'Project not found');
    if (project.archivedAt !== null) throw new HttpError(409, 'Project is archived');
    if (input.assigneeId !== null && !(await isAssignable(trx, workspaceId, input.assigneeId))) {
      throw new HttpError(400, 'Must be a member of this workspace');
    }
    const id = newId();
    const row = { ...input, id, workspaceId, number: project.number, at: isoNow(at) };
    await insertTask(trx, { ...row, createdBy: user.id });
    const [task] = await loadTaskViews(trx, workspaceId, [id]);
    if (!task) throw new HttpError(404, 'Task not found');
    const { projectId, id: taskId } = task;
    const entry = { workspaceId, actor, type: 'task.created' as const, projectId, taskId };
    await recordActivity(trx, { ...entry, data: { task } }, at);
    return task;
  });
  return outputs.create.parse(created);
}

/** The queries the baseline serves by GET (and in batches). */
export const queries: Record<string, Handler> = {
  'tasks.get': getTask,
  'tasks.list': listTasks,
  'stats.overview': overview,
};

/** The mutations the baseline serves by POST. */
export const mutations: Record<string, Handler> = {
  'tasks.create': createTask,
};
