import { trellisVitestConfig } from '@trellis/vitest-config';

// reliability/ has its own run (vitest.reliability.config.ts, `pnpm test:reliability`).
export default trellisVitestConfig({ include: ['src/**/*.test.ts'] });
