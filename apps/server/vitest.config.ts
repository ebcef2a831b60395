import { trellisVitestConfig } from '@trellis/vitest-config';

// reliability/ has its own run (vitest.reliability.config.ts, `pnpm test:reliability`).
// The scripts the tests start as processes run from dist's bundles, rebuilt first if stale.
export default trellisVitestConfig({
  include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  globalSetup: ['scripts/ensure-bundle.mjs'],
});
