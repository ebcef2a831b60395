// apps/server's `test`: the suite once per tRPC handler on SQLite; on PostgreSQL
// (TRELLIS_TEST_DIALECT=postgres) once, with the default handler. The handlers differ in
// HTTP plumbing, not in what they ask the database, and the SQLite pass covers both.
import { spawnSync } from 'node:child_process';

const onPostgres = process.env.TRELLIS_TEST_DIALECT === 'postgres';
// The official handler's report is test-results[-postgres]-official.json (tooling/vitest).
const runs = onPostgres
  ? [{ handler: 'lean' }]
  : [{ handler: 'official', variant: 'official' }, { handler: 'lean' }];

let failed = false;
for (const { handler, variant } of runs) {
  const dialect = onPostgres ? 'PostgreSQL' : 'SQLite';
  console.log(`== apps/server suite on ${dialect} with TRPC_HANDLER=${handler}`);
  const env = { ...process.env, TRELLIS_TRPC_HANDLER: handler };
  if (variant) env.TRELLIS_TEST_VARIANT = variant;
  else delete env.TRELLIS_TEST_VARIANT;
  const run = spawnSync('vitest', ['run', ...process.argv.slice(2)], {
    stdio: 'inherit',
    env,
  });
  // `vitest` is on PATH: pnpm runs package scripts with node_modules/.bin on it.
  if (run.error) throw run.error;
  if (run.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
