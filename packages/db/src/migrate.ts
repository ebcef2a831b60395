import { type Kysely, type MigrationResultSet, Migrator } from 'kysely';
import { migrations } from './migrations/index.js';

function migrator(db: Kysely<unknown>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
  });
}

/** Applies every pending migration; returns the names applied. Throws if one fails. */
export async function migrateToLatest<DB>(db: Kysely<DB>): Promise<string[]> {
  return unwrap(await migrator(db as Kysely<unknown>).migrateToLatest());
}

/** Undoes the newest migration (development only: production migrates forward). */
export async function migrateDown<DB>(db: Kysely<DB>): Promise<string[]> {
  return unwrap(await migrator(db as Kysely<unknown>).migrateDown());
}

/** Names of migrations known to the code but not yet applied to `db`. */
export async function pendingMigrations<DB>(db: Kysely<DB>): Promise<string[]> {
  const all = await migrator(db as Kysely<unknown>).getMigrations();
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}

function unwrap({ error, results = [] }: MigrationResultSet): string[] {
  if (error) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed`, { cause: error });
  }
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
