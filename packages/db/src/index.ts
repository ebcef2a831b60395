export type { Kysely, Transaction } from 'kysely';
export { BackupError, type BackupOptions, type BackupProgress, backupSqlite } from './backup.js';
export type { DatabaseOptions, DatabaseTarget, PoolStats } from './database.js';
export { createDatabase, databasePoolStats, parseDatabaseUrl } from './database.js';
export { type Dialect, dialectOf, withoutIndexHint } from './dialect.js';
export {
  isForeignKeyViolation,
  isStorageFull,
  isStorageReadOnly,
  isUniqueViolation,
  storageProblem,
} from './errors.js';
export { checkWritable, pingDatabase } from './health.js';
export { isoNow, newId } from './ids.js';
export { migrateDown, migrateToLatest, pendingMigrations } from './migrate.js';
export {
  listenForNotifications,
  type NotificationHandlers,
  type NotificationListener,
} from './notifications.js';
export * from './schema.js';
export {
  matchingTaskIds,
  searchTaskMatches,
  searchWords,
  type TaskMatch,
  toFtsQuery,
  toTsQuery,
} from './search.js';
