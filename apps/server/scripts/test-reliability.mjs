// apps/server's `test:reliability`: the reliability suites (reliability/*.test.ts) on SQLite,
// against the built server. TRELLIS_RELIABILITY=nightly runs the longer profile
// (reliability/support/profile.ts); TRELLIS_FUZZ_SEED replays a fuzzing run.
import { spawnSync } from 'node:child_process';

const profile = process.env.TRELLIS_RELIABILITY === 'nightly' ? 'nightly' : 'ci';
console.log(`== reliability suites (${profile} profile) on SQLite`);
const run = spawnSync(
  'vitest',
  ['run', '--config', 'vitest.reliability.config.ts', ...process.argv.slice(2)],
  {
    stdio: 'inherit',
    // Its report is test-results-reliability.json (tooling/vitest).
    env: { ...process.env, TRELLIS_TEST_DIALECT: 'sqlite', TRELLIS_TEST_VARIANT: 'reliability' },
  },
);
// `vitest` is on PATH: pnpm runs package scripts with node_modules/.bin on it.
if (run.error) throw run.error;
process.exit(run.status ?? 1);
