// apps/server's `test`: the suite once, with the default (lean) tRPC handler, on the dialect
// TRELLIS_TEST_DIALECT names. tRPC's own fetch adapter, the other handler, is held to the
// same answers by the differential tests in src/trpc/ (each request sent to both handlers),
// which run in this pass; `TRELLIS_TRPC_HANDLER=official npx vitest run` runs every suite on
// it when the HTTP plumbing changes.
import { spawnSync } from 'node:child_process';

const run = spawnSync('vitest', ['run', ...process.argv.slice(2)], { stdio: 'inherit' });
// `vitest` is on PATH: pnpm runs package scripts with node_modules/.bin on it.
if (run.error) throw run.error;
process.exit(run.status ?? 1);
