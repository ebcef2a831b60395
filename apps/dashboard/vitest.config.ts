import { trellisVitestConfig } from '@trellis/vitest-config';

// Unit tests of the pure helpers (src/**, no DOM, no server: milliseconds each) and the
// browser tests (e2e/: each file starts a real server and a Chromium). One file at a time:
// two cores cannot run several browsers without the waits becoming the test.
export default trellisVitestConfig({
  include: ['src/**/*.test.ts', 'e2e/**/*.test.ts'],
  fileParallelism: false,
});
