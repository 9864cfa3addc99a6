// Prints the last test run's totals as one plain line ("Tests: N passed, N failed"), summing
// the workerd suite and the e2e suite.
import { existsSync, readFileSync } from "node:fs";

const files = [".vitest-report.json", ".vitest-e2e-report.json"];
let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of files) {
  if (!existsSync(file)) {
    console.error(`${file} not found: run npm test first`);
    process.exit(1);
  }
  const report = JSON.parse(readFileSync(file, "utf8"));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
}
console.log(
  `Tests: ${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`,
);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
