#!/usr/bin/env node
// `trellis <command>`: the server's commands with flags instead of environment variables.
// Each flag sets the variable the command already reads (README "Configuration"), so the
// two ways of configuring cannot drift apart; a flag wins over the environment.
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const USAGE = `usage: trellis <command> [options]

commands:
  serve [--workers N] [--port N] [--host H] [--database-url URL]
        serve the API and dashboard; --workers N runs N processes sharing the port
  migrate [--database-url URL]
        apply pending migrations and exit
  backup <file> [--force] [--database-url URL]
        copy the SQLite database while servers keep running

Other settings come from the environment (see README "Configuration").`;

/** Which option sets which environment variable. */
const FLAG_VARIABLES = {
  workers: 'WORKERS',
  port: 'PORT',
  host: 'HOST',
  'database-url': 'DATABASE_URL',
} as const;

type Flag = keyof typeof FLAG_VARIABLES;

/** Which flags each command accepts, and the module that runs it. */
const COMMANDS: Record<string, { flags: Flag[]; module: string; positionals: number }> = {
  serve: {
    flags: ['workers', 'port', 'host', 'database-url'],
    module: './main.js',
    positionals: 0,
  },
  migrate: { flags: ['database-url'], module: './migrate.js', positionals: 0 },
  backup: { flags: ['database-url'], module: './backup.js', positionals: 1 },
};

function fail(message: string): never {
  console.error(`trellis: ${message}\n\n${USAGE}`);
  process.exit(2);
}

async function run(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(USAGE);
    return;
  }
  const command = COMMANDS[name];
  if (!command) fail(`unknown command ${JSON.stringify(name)}`);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: {
        ...Object.fromEntries(command.flags.map((flag) => [flag, { type: 'string' as const }])),
        ...(name === 'backup' ? { force: { type: 'boolean' as const } } : {}),
      },
    });
  } catch (error) {
    fail((error as Error).message);
  }
  if (parsed.positionals.length !== command.positionals) {
    fail(
      `${name} takes ${command.positionals || 'no'} argument${command.positionals === 1 ? '' : 's'}`,
    );
  }
  for (const flag of command.flags) {
    const value = parsed.values[flag];
    if (typeof value === 'string') process.env[FLAG_VARIABLES[flag]] = value;
  }
  const moduleUrl = new URL(command.module, import.meta.url);
  // serve keeps this process's arguments: with --workers, node:cluster starts each worker as
  // `trellis serve …` again. The others read their own (backup: the file and --force).
  if (name !== 'serve') {
    const forwarded = [...parsed.positionals, ...(parsed.values.force === true ? ['--force'] : [])];
    process.argv = [process.argv[0] ?? 'node', fileURLToPath(moduleUrl), ...forwarded];
  }
  await import(moduleUrl.href);
}

await run(process.argv.slice(2));
