// Shared Vitest setup: tests run against workspace packages' TypeScript sources
// (the "@trellis/source" export condition), so no build is needed before testing,
// and each run leaves a JSON report that .ci/run sums into one closing line per dialect.
import { defineConfig } from 'vitest/config';

const conditions = ['@trellis/source', 'module', 'node', 'development|production'];

/**
 * `test-results.json` for a run on SQLite, `test-results-postgres.json` on PostgreSQL
 * (TRELLIS_TEST_DIALECT), so the two passes of `pnpm test` leave both; a package that runs
 * its suite more than once names each extra run with TRELLIS_TEST_VARIANT
 * (`test-results[-postgres]-<variant>.json`).
 */
function reportFile() {
  const parts = ['test-results'];
  if (process.env.TRELLIS_TEST_DIALECT === 'postgres') parts.push('postgres');
  if (process.env.TRELLIS_TEST_VARIANT) parts.push(process.env.TRELLIS_TEST_VARIANT);
  return `${parts.join('-')}.json`;
}

/**
 * The Vitest config every Trellis package uses.
 * @param {import('vitest/config').ViteUserConfig['test']} [test] per-package test options
 */
export function trellisVitestConfig(test = {}) {
  return defineConfig({
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: ['@trellis/source'] } },
    test: {
      environment: 'node',
      reporters: ['default', ['json', { outputFile: reportFile() }]],
      // A worker process runs its files one after another and loads the sources once: a
      // process of its own per file loaded the server (or the API) anew for each of ~60
      // files, most of a suite's time (apps/server 247 → 98 s, packages/api 87 → 47 s on
      // SQLite, 2 cores). Tests leave nothing behind for the next file: each makes its own
      // database and server, and none mocks modules.
      isolate: false,
      // A test's deadlines are those of what it waits for (a process's exit, a line of its
      // output, a poll below); these only catch a hang. A fixed 20 s was the deadline a
      // loaded machine missed: tests that start processes failed by timeout, not by fault.
      testTimeout: 120_000,
      hookTimeout: 120_000,
      // expect.poll's own default (1 s) is a guess about how fast the machine is.
      expect: { poll: { timeout: 30_000, interval: 50 } },
      ...test,
    },
  });
}
