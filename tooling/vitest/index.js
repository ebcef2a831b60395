// Shared Vitest setup: tests run against workspace packages' TypeScript sources
// (the "@trellis/source" export condition), so no build is needed before testing,
// and each run leaves a JSON report that .ci/run sums into one closing line.
import { defineConfig } from 'vitest/config';

const conditions = ['@trellis/source', 'module', 'node', 'development|production'];

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
      reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
      testTimeout: 20_000,
      hookTimeout: 30_000,
      ...test,
    },
  });
}
