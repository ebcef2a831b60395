export type { Kysely, Transaction } from 'kysely';
export type { DatabaseOptions, DatabaseTarget } from './database.js';
export { createDatabase, parseDatabaseUrl } from './database.js';
export { isUniqueViolation } from './errors.js';
export { isoNow, newId } from './ids.js';
export { migrateDown, migrateToLatest, pendingMigrations } from './migrate.js';
export * from './schema.js';
export { toFtsQuery } from './search.js';
