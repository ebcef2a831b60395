// Sums the Vitest JSON reports every package wrote into one closing line.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

let passed = 0;
let failed = 0;
let skipped = 0;
for (const group of ['apps', 'packages']) {
  for (const name of readdirSync(group)) {
    const dir = join(group, name);
    if (!existsSync(dir)) continue;
    // A package may run its suite more than once (apps/server: once per tRPC handler),
    // leaving test-results-<variant>.json beside test-results.json.
    const reports = /^test-results(-[\w.-]+)?\.json$/;
    for (const file of readdirSync(dir).filter((entry) => reports.test(entry))) {
      const report = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      passed += report.numPassedTests;
      failed += report.numFailedTests;
      skipped += report.numPendingTests + report.numTodoTests;
    }
  }
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
