// `pnpm db:migrate`: applies pending migrations to the configured database and exits.
import { createDatabase, migrateToLatest } from '@trellis/db';
import { ConfigError, loadConfig } from './config.js';

try {
  const config = loadConfig(process.env);
  const db = createDatabase(config.databaseUrl);
  try {
    const applied = await migrateToLatest(db);
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'already up to date');
  } finally {
    await db.destroy();
  }
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exitCode = 1;
}
