// Prints the last test run's totals as one plain line ("Tests: N passed, N failed").
import { existsSync, readFileSync } from "node:fs";

const file = ".vitest-report.json";
if (!existsSync(file)) {
  console.error(`${file} not found: run npm test first`);
  process.exit(1);
}
const report = JSON.parse(readFileSync(file, "utf8"));
const skipped = report.numPendingTests + report.numTodoTests;
console.log(
  `Tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed` +
    (skipped > 0 ? `, ${skipped} skipped` : ""),
);
process.exit(report.numFailedTests === 0 && report.numPassedTests > 0 ? 0 : 1);
