import { trellisVitestConfig } from '@trellis/vitest-config';

// The reliability suites (`pnpm test:reliability`): one file at a time, each in a fresh
// process, since several measure time or memory and would disturb one another; each bounds
// its own run time.
export default trellisVitestConfig({
  include: ['reliability/**/*.test.ts'],
  globalSetup: ['scripts/ensure-bundle.mjs'],
  fileParallelism: false,
  isolate: true,
  testTimeout: 300_000,
  hookTimeout: 120_000,
});
