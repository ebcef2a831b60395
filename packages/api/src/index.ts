// The package's face: the router and its types, the context a server builds for it, and
// what a server wires around it (mail, live fan-out, the stats cache, housekeeping, the
// procedures' schemas for REST and OpenAPI). The queries the benchmark's baseline runs are
// on the internal entry point, `@trellis/api/internal`.
export { type ActivityFanOut, startActivityFanOut } from './activity-listener.js';
/** Attachments: the streaming routes' guards, recording uploads, the file-removal queue. */
export * as attachments from './attachments/index.js';
export type {
  ApiConfig,
  Context,
  CreateContextOptions,
  Credential,
  RequestInfo,
} from './context.js';
export { createContext } from './context.js';
export {
  type FieldErrors,
  TRELLIS_ERROR_CODES,
  type TrellisErrorCode,
  type TrellisErrorData,
} from './errors.js';
export type { LogEvent, LogEventType, WebhookEvent } from './events.js';
export { deleteExpiredIdempotencyKeys } from './idempotency.js';
/** Workspace export and import, and import jobs (the server's streaming routes). */
export * as imports from './imports/index.js';
export type { Mailer, MailMessage } from './mail/mailer.js';
export { type DigestOptions, runDigests } from './notifications/digest.js';
export { type NotificationFanOut, startNotificationFanOut } from './notifications/fan-out.js';
export { type ReminderPass, runReminders } from './notifications/reminders.js';
/** Output schemas of every query and mutation (the OpenAPI document publishes them). */
export * as outputs from './outputs.js';
export { type ProcedureSchemas, procedureSchemas } from './procedure-schemas.js';
export { importedReminderMarkers } from './queries/reminders.js';
export {
  acquireStreamLease,
  deleteExpiredStreamLeases,
  releaseStreamLeases,
  renewStreamLeases,
} from './queries/stream-leases.js';
export { purgeTrash } from './queries/trash.js';
export { oldestUndelivered } from './queries/webhooks.js';
export { RATE_LIMIT_HEADERS } from './rate-limit-headers.js';
export { isRateLimited, RATE_LIMITED_PROCEDURES } from './rate-limits.js';
export type { AppRouter, RouterInputs, RouterOutputs } from './root.js';
export { appRouter, createCaller } from './root.js';
export { STREAM_START_HEADER } from './routers/tasks-on-change.js';
/** The invisible format characters display names refuse (filenames drop them). */
export { FORMAT_CHARACTER } from './schemas.js';
export {
  type CacheCounts,
  type CacheLimits,
  DEFAULT_STATS_CACHE_LIMITS,
  StatsCache,
} from './stats-cache.js';
export type { AttemptResult } from './webhooks/deliver.js';
export type {
  WebhookRequest,
  WebhookResponse,
  WebhookSend,
  WebhookSettings,
} from './webhooks/settings.js';
export {
  startWebhookWorker,
  type WebhookWorker,
  type WebhookWorkerOptions,
} from './webhooks/worker.js';
