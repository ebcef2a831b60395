// `pnpm db:backup <file> [--force]`: copies the configured SQLite database to <file> with
// SQLite's online backup API, while servers keep using it. PostgreSQL has pg_dump.
import { resolve } from 'node:path';
import { BackupError, backupSqlite, parseDatabaseUrl } from '@trellis/db';
import { ConfigError, loadConfig } from './config.js';

const USAGE = 'usage: pnpm db:backup <file> [--force]';

async function main(args: string[]): Promise<number> {
  const force = args.includes('--force');
  const files = args.filter((arg) => arg !== '--force');
  const unknown = files.find((arg) => arg.startsWith('-'));
  if (files.length !== 1 || unknown !== undefined) {
    console.error(unknown ? `unknown option ${unknown}; ${USAGE}` : USAGE);
    return 2;
  }
  const target = parseDatabaseUrl(loadConfig(process.env).databaseUrl);
  if (target.dialect === 'postgres') {
    console.error(
      'DATABASE_URL is PostgreSQL: back it up with pg_dump (e.g. pg_dump --format=custom --file=trellis.dump "$DATABASE_URL"); nothing was copied',
    );
    return 1;
  }
  // pnpm runs scripts from the repository root; INIT_CWD is where the command was typed.
  const destination = resolve(process.env.INIT_CWD ?? process.cwd(), files[0] as string);
  console.log(`backing up ${target.filename} to ${destination}`);
  let lastPercent = -1;
  const { totalPages } = await backupSqlite(target.filename, destination, {
    force,
    onProgress({ totalPages, remainingPages }) {
      const percent = Math.floor(((totalPages - remainingPages) / totalPages) * 100);
      if (percent === lastPercent) return;
      lastPercent = percent;
      console.log(`${percent}% (${totalPages - remainingPages} of ${totalPages} pages)`);
    },
    onRestart() {
      console.log('the database changed meanwhile: copying it again, in one step');
    },
  });
  console.log(`100% (${totalPages} of ${totalPages} pages)`);
  console.log(`done: ${totalPages} pages, integrity check ok, written to ${destination}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Refusals and bad settings are one line; anything else is a bug, and its stack helps.
    const known = error instanceof BackupError || error instanceof ConfigError;
    console.error(known ? (error as Error).message : error);
    process.exitCode = 1;
  },
);
