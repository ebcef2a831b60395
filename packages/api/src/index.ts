// The router, its context and types; and the procedures' building blocks (queries,
// locators, cursors) for bench/'s baseline, which runs exactly these behind plain routes
// so that the benchmark's comparison measures the transport and nothing else.
export { recordActivity } from './activity.js';
export { type ActivityFanOut, startActivityFanOut } from './activity-listener.js';
export type {
  ApiConfig,
  Context,
  CreateContextOptions,
  Credential,
  RequestInfo,
} from './context.js';
export { createContext } from './context.js';
export type { FieldErrors, TrellisErrorData } from './errors.js';
export { deleteExpiredIdempotencyKeys } from './idempotency.js';
export type { Mailer, MailMessage } from './mail/mailer.js';
/** Output schemas of every query and mutation (the OpenAPI document publishes them). */
export * as outputs from './outputs.js';
export { type ProcedureSchemas, procedureSchemas } from './procedure-schemas.js';
export { allocateTaskNumber } from './queries/projects.js';
export { statsOverview } from './queries/stats.js';
export { insertTask, isAssignable, loadTaskViews, type TaskView } from './queries/tasks.js';
export { getUserWorkspace } from './queries/workspaces.js';
export { roleAtLeast } from './roles.js';
export type { AppRouter, RouterInputs, RouterOutputs } from './root.js';
export { appRouter, createCaller } from './root.js';
export { listTaskPage, type TaskListInput } from './routers/tasks-list.js';
export {
  type CacheCounts,
  type CacheLimits,
  DEFAULT_STATS_CACHE_LIMITS,
  StatsCache,
} from './stats-cache.js';
export { type Actor, locate } from './trpc.js';
