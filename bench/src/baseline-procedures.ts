import { appRouter, procedureSchemas } from '@trellis/api';
import {
  type Actor,
  allocateTaskNumber,
  defaultStateOf,
  getUserWorkspace,
  insertTask,
  inWrittenOrder,
  isAssignable,
  listTaskPage,
  loadTaskViews,
  locate,
  mentionsOfTask,
  recordActivity,
  relationsOf,
  roleAtLeast,
  stateForStatus,
  statsOverview,
  type TaskListInput,
  type TaskView,
  taskFamily,
  watcherIds,
} from '@trellis/api/internal';
import { type AuthUser, validateSessionToken } from '@trellis/auth';
import {
  type Database,
  isoNow,
  type Kysely,
  newId,
  type Role,
  STATUS_OF_CATEGORY,
  type TaskStatus,
} from '@trellis/db';
import type { z } from 'zod';

// The procedures the benchmark drives, as plain functions: the same authentication, the
// same workspace and role check, the same zod schemas (taken from the procedures
// themselves) and the same queries (imported from @trellis/api/internal). Only the transport
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

const declared = procedureSchemas(appRouter);

/** The zod schemas a procedure validates with, read from the procedure itself. */
function schemasOf<In, Out>(path: string): { input: z.ZodType<In>; output: z.ZodType<Out> } {
  const schemas = declared.get(path);
  const [input, ...more] = schemas?.inputs ?? [];
  if (!input || more.length > 0 || !schemas?.output) {
    throw new Error(`${path}: expected one zod input and a zod output schema`);
  }
  return { input: input as z.ZodType<In>, output: schemas.output as z.ZodType<Out> };
}

/** tasks.create's input after validation (defaults applied). */
interface CreateTaskInput {
  projectId: string;
  title: string;
  description: string;
  status?: TaskStatus;
  priority: number;
  assigneeId: string | null;
  labels: string[];
  dueAt: string | null;
}

/** tasks.get's answer: the task, its parent and sub-task summary, relations, mentions and watchers. */
type TaskDetail = TaskView &
  Awaited<ReturnType<typeof taskFamily>> & {
    relations: Awaited<ReturnType<typeof relationsOf>>;
    mentions: ReturnType<typeof inWrittenOrder>;
    watcherIds: string[];
  };

// tRPC parses every input and answer with the procedure's own schemas; so does the baseline.
const schemas = {
  get: schemasOf<{ taskId: string }, TaskDetail>('tasks.get'),
  list: schemasOf<TaskListInput, Awaited<ReturnType<typeof listTaskPage>>>('tasks.list'),
  create: schemasOf<CreateTaskInput, TaskView>('tasks.create'),
  stats: schemasOf<{ workspaceId: string }, Awaited<ReturnType<typeof statsOverview>>>(
    'stats.overview',
  ),
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
  const input = schemas.get.input.parse(rawInput);
  const [task] = await loadTaskViews(db, workspace.id, [input.taskId]);
  if (!task) throw new HttpError(404, 'Task not found');
  const relations = await relationsOf(db, workspace.id, task.id);
  const [mentions, watchers] = await Promise.all([
    mentionsOfTask(db, workspace.id, task.id),
    watcherIds(db, workspace.id, task.id),
  ]);
  return schemas.get.output.parse({
    ...task,
    ...(await taskFamily(db, task)),
    relations,
    mentions: inWrittenOrder(mentions, task.description),
    watcherIds: watchers,
  });
}

async function listTasks(db: Kysely<Database>, user: AuthUser, rawInput: unknown) {
  const workspace = await workspaceOf(db, user, locate.workspace, rawInput, 'viewer');
  return schemas.list.output.parse(
    await listTaskPage(db, workspace.id, schemas.list.input.parse(rawInput)),
  );
}

async function overview(db: Kysely<Database>, user: AuthUser, rawInput: unknown) {
  const workspace = await workspaceOf(db, user, locate.workspace, rawInput, 'viewer');
  schemas.stats.input.parse(rawInput);
  return schemas.stats.output.parse(await statsOverview(db, workspace.id, new Date()));
}

async function createTask(db: Kysely<Database>, user: AuthUser, rawInput: unknown) {
  const workspace = await workspaceOf(db, user, locate.project, rawInput, 'member');
  const input = schemas.create.input.parse(rawInput);
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
    // The state, as tasks.create finds it: the status's only state, or the default one.
    const state =
      input.status === undefined
        ? await defaultStateOf(trx, workspaceId, input.projectId)
        : await stateForStatus(trx, workspaceId, input.projectId, input.status);
    if (!state || 'problem' in state) throw new HttpError(400, 'No such state');
    const id = newId();
    // The baseline makes top-level tasks only (it has no sub-task rules to check).
    const row = {
      parentId: null,
      ...input,
      id,
      workspaceId,
      number: project.number,
      at: isoNow(at),
      stateId: state.id,
      status: STATUS_OF_CATEGORY[state.category],
    };
    await insertTask(trx, { ...row, createdBy: user.id });
    const [task] = await loadTaskViews(trx, workspaceId, [id]);
    if (!task) throw new HttpError(404, 'Task not found');
    const { projectId, id: taskId } = task;
    const entry = { workspaceId, actor, type: 'task.created' as const, projectId, taskId };
    await recordActivity(trx, { ...entry, data: { task } }, at);
    return task;
  });
  return schemas.create.output.parse(created);
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
