// Sums the Vitest JSON reports every package wrote into one closing line.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

let passed = 0;
let failed = 0;
let skipped = 0;
// Workspace packages: every folder under apps/ and packages/, and examples/ itself.
const packageDirs = [
  ...['apps', 'packages'].flatMap((group) => readdirSync(group).map((name) => join(group, name))),
  'examples',
];
// A package may run its suite more than once (apps/server: once per tRPC handler),
// leaving test-results-<variant>.json beside test-results.json.
const reports = /^test-results(-[\w.-]+)?\.json$/;
for (const dir of packageDirs) {
  if (!existsSync(dir)) continue;
  for (const file of readdirSync(dir).filter((entry) => reports.test(entry))) {
    const report = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    passed += report.numPassedTests;
    failed += report.numFailedTests;
    skipped += report.numPendingTests + report.numTodoTests;
  }
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
