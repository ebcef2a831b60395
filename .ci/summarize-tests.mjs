// Sums the Vitest JSON reports every package wrote into one closing line per pass of
// `pnpm test`: SQLite (test-results[-<variant>].json), the reliability suites
// (test-results-reliability.json) and PostgreSQL (test-results-postgres[-<variant>].json).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// Workspace packages: every folder under apps/ and packages/, and examples/ itself.
const packageDirs = [
  ...['apps', 'packages'].flatMap((group) => readdirSync(group).map((name) => join(group, name))),
  'examples',
];
// A package may run its suite more than once (apps/server: once per tRPC handler),
// leaving test-results-<variant>.json beside test-results.json.
const reports = /^test-results(-[\w.-]+)?\.json$/;
const passes = {
  SQLite: { passed: 0, failed: 0, skipped: 0, reports: 0 },
  PostgreSQL: { passed: 0, failed: 0, skipped: 0, reports: 0 },
  'SQLite, reliability suites': { passed: 0, failed: 0, skipped: 0, reports: 0 },
};
for (const dir of packageDirs) {
  if (!existsSync(dir)) continue;
  for (const file of readdirSync(dir).filter((entry) => reports.test(entry))) {
    const report = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    const pass = /^test-results-postgres([-.])/.test(file)
      ? passes.PostgreSQL
      : file === 'test-results-reliability.json'
        ? passes['SQLite, reliability suites']
        : passes.SQLite;
    pass.passed += report.numPassedTests;
    pass.failed += report.numFailedTests;
    pass.skipped += report.numPendingTests + report.numTodoTests;
    pass.reports += 1;
  }
}
for (const [name, pass] of Object.entries(passes)) {
  if (pass.reports === 0) {
    console.log(`tests on ${name}: not run`);
    continue;
  }
  console.log(
    `tests on ${name}: ${pass.passed} passed, ${pass.failed} failed, ${pass.skipped} skipped`,
  );
}
