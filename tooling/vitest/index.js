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
      testTimeout: 20_000,
      hookTimeout: 30_000,
      ...test,
    },
  });
}
