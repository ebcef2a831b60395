import { trellisVitestConfig } from '@trellis/vitest-config';

// Browser tests only (e2e/): each file starts a real server and a Chromium. One file at a
// time: two cores cannot run several browsers without the waits becoming the test.
export default trellisVitestConfig({
  include: ['e2e/**/*.test.ts'],
  fileParallelism: false,
  testTimeout: 120_000,
  hookTimeout: 60_000,
  expect: { poll: { timeout: 10_000, interval: 50 } },
});
